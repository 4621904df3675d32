// ml-logistic-regression 2.0.0 ships no types: what the back-test's baseline uses of it.
declare module "ml-logistic-regression" {
  import type { Matrix } from "ml-matrix";

  export interface TwoClassClassifier {
    /** P(class != the classifier's class) for each row of `features`. */
    testScores(features: Matrix): number[];
  }

  export default class LogisticRegression {
    constructor(options?: { numSteps?: number; learningRate?: number });
    /** One classifier per class (one versus all), trained by gradient ascent. */
    classifiers: TwoClassClassifier[];
    train(features: Matrix, classes: Matrix): void;
  }
}
