// Logistic regression by iteratively reweighted least squares (IRLS), with an intercept and, when
// asked, every other coefficient constrained to be >= 0. Each IRLS step is a weighted least-squares
// problem; with the constraint it is solved as non-negative least squares by ml-fcnnls (the library
// the weight fit already uses), without it by a Cholesky solve (ml-matrix). The steps work on the
// p x p normal equations, never on an n x p matrix object, so 100,000 accounts cost a few passes
// over a Float64Array per step.
import { fcnnlsVector } from "ml-fcnnls";
import { CholeskyDecomposition, Matrix } from "ml-matrix";

export interface LogisticFit {
  intercept: number;
  coefficients: number[];
  /** IRLS steps taken. */
  iterations: number;
}

export interface LogisticOptions {
  /** Constrain every coefficient (not the intercept) to be >= 0. */
  nonNegative: boolean;
  maxIterations?: number;
}

// A ridge this small changes no fitted curve a person could see; it keeps the normal equations
// positive definite when two columns coincide on the training data (a flat quantile segment) and
// stops separable data from driving coefficients to infinity.
const RIDGE = 1e-6;
const TOLERANCE = 1e-9;
// Converged once a step gains less than this share of the loss: the fitted curves' points (one
// decimal) and the ranking no longer move.
const CONVERGED = 1e-7;

/**
 * `x`: n rows of p features, row-major; `y`: 1 or 0 per row. Maximises the log-likelihood of
 * P(y = 1) = sigmoid(intercept + x . coefficients).
 */
export function fitLogistic(
  x: Float64Array,
  p: number,
  y: readonly (0 | 1)[],
  options: LogisticOptions,
): LogisticFit {
  const n = y.length;
  if (x.length !== n * p) throw new RangeError(`expected ${n} x ${p} features, got ${x.length} values`);
  const rows = sparseRows(x, n, p);
  let beta = new Array<number>(p).fill(0);
  const mean = y.reduce<number>((a, v) => a + v, 0) / Math.max(n, 1);
  let intercept = mean > 0 && mean < 1 ? Math.log(mean / (1 - mean)) : 0;
  let eta = linearPredictor(rows, intercept, beta);
  let loss = logLoss(eta, y) + penalty(beta, n);
  const maxIterations = options.maxIterations ?? 50;
  let iterations = 0;
  while (iterations < maxIterations) {
    iterations++;
    const step = newtonTarget(rows, y, eta, options.nonNegative);
    // Step halving: an IRLS step with bounds may overshoot; a shorter step along it never leaves
    // the feasible set (both ends are feasible) and, short enough, lowers the loss.
    let t = 1;
    let accepted = false;
    while (t >= 1 / 1024) {
      const nextBeta = beta.map((b, j) => b + t * (step.coefficients[j]! - b));
      const nextIntercept = intercept + t * (step.intercept - intercept);
      const nextEta = linearPredictor(rows, nextIntercept, nextBeta);
      const nextLoss = logLoss(nextEta, y) + penalty(nextBeta, n);
      if (nextLoss <= loss + TOLERANCE * Math.abs(loss)) {
        const gain = loss - nextLoss;
        [beta, intercept, eta, loss] = [nextBeta, nextIntercept, nextEta, nextLoss];
        accepted = gain > CONVERGED * (Math.abs(loss) + 1);
        break;
      }
      t /= 2;
    }
    if (!accepted) break;
  }
  return { intercept, coefficients: beta, iterations };
}

/** The features without their zeros, row by row: a ramp is 0 above its segment (or below, flipped). */
interface SparseRows {
  n: number;
  p: number;
  /** Row i's entries are offsets[i] .. offsets[i + 1] - 1 of `columns` and `values`. */
  offsets: Int32Array;
  columns: Int32Array;
  values: Float64Array;
}

function sparseRows(x: Float64Array, n: number, p: number): SparseRows {
  let nonZero = 0;
  for (const v of x) if (v !== 0) nonZero++;
  const offsets = new Int32Array(n + 1);
  const columns = new Int32Array(nonZero);
  const values = new Float64Array(nonZero);
  let k = 0;
  for (let i = 0; i < n; i++) {
    offsets[i] = k;
    for (let j = 0; j < p; j++) {
      const v = x[i * p + j]!;
      if (v !== 0) {
        columns[k] = j;
        values[k++] = v;
      }
    }
  }
  offsets[n] = k;
  return { n, p, offsets, columns, values };
}

/** The weighted least-squares solution of one IRLS step (the point the step moves towards). */
function newtonTarget(
  rows: SparseRows,
  y: readonly (0 | 1)[],
  eta: Float64Array,
  nonNegative: boolean,
): { intercept: number; coefficients: number[] } {
  const { n, p, offsets, columns, values } = rows;
  // Working weights w = p(1 - p) and response z = eta + (y - p) / w; the weighted sums of x, z,
  // x x' and x z, over the non-zero entries only.
  const sx = new Float64Array(p);
  const gram = new Float64Array(p * p);
  const sxz = new Float64Array(p);
  let sw = 0;
  let sz = 0;
  for (let i = 0; i < n; i++) {
    const prob = 1 / (1 + Math.exp(-eta[i]!));
    const w = Math.max(prob * (1 - prob), 1e-10);
    const z = eta[i]! + (y[i]! - prob) / w;
    sw += w;
    sz += w * z;
    const end = offsets[i + 1]!;
    for (let a = offsets[i]!; a < end; a++) {
      const ca = columns[a]!;
      const wa = w * values[a]!;
      sx[ca]! += wa;
      sxz[ca]! += wa * z;
      const row = ca * p;
      for (let b = a; b < end; b++) gram[row + columns[b]!]! += wa * values[b]!;
    }
  }
  // Centred on the weighted means, the intercept drops out (recovered from the means afterwards),
  // so the bound applies to the coefficients only.
  const mz = sz / sw;
  const mx = Array.from(sx, (v) => v / sw);
  const g = new Matrix(p, p);
  const rhs = new Float64Array(p);
  for (let a = 0; a < p; a++) {
    rhs[a] = sxz[a]! - sw * mx[a]! * mz;
    for (let b = a; b < p; b++) {
      const v = gram[a * p + b]! - sw * mx[a]! * mx[b]! + (a === b ? RIDGE * n : 0);
      g.set(a, b, v);
      g.set(b, a, v);
    }
  }
  const coefficients = nonNegative
    ? nonNegativeSolve(g, rhs)
    : new CholeskyDecomposition(g).solve(Matrix.columnVector([...rhs])).to1DArray();
  const intercept = mz - coefficients.reduce((s, c, j) => s + c * mx[j]!, 0);
  return { intercept, coefficients };
}

/**
 * min b'Gb - 2 b'r subject to b >= 0, as the NNLS problem min |Lb - d|^2 with G = L L' (Cholesky)
 * and L d' = r: the same objective up to a constant, on a p x p matrix instead of n x p.
 */
function nonNegativeSolve(g: Matrix, rhs: Float64Array): number[] {
  const chol = new CholeskyDecomposition(g);
  const lower = chol.lowerTriangularMatrix;
  const p = rhs.length;
  // Forward substitution: L d = r.
  const d = new Array<number>(p).fill(0);
  for (let i = 0; i < p; i++) {
    let s = rhs[i]!;
    for (let k = 0; k < i; k++) s -= lower.get(i, k) * d[k]!;
    d[i] = s / lower.get(i, i);
  }
  // |L'b - d|^2 = b'Gb - 2 b'Ld + |d|^2 = b'Gb - 2 b'r + const.
  const upper = lower.transpose().to2DArray();
  return fcnnlsVector(upper, d, { maxIterations: 10 * p })
    .K.to1DArray()
    .map((b) => Math.max(0, b));
}

function linearPredictor(rows: SparseRows, intercept: number, beta: readonly number[]): Float64Array {
  const { n, offsets, columns, values } = rows;
  const eta = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = intercept;
    for (let k = offsets[i]!; k < offsets[i + 1]!; k++) s += values[k]! * beta[columns[k]!]!;
    eta[i] = s;
  }
  return eta;
}

/** Negative log-likelihood, computed without overflow for large |eta|. */
function logLoss(eta: Float64Array, y: readonly (0 | 1)[]): number {
  let s = 0;
  for (let i = 0; i < eta.length; i++) {
    const e = y[i] === 1 ? -eta[i]! : eta[i]!;
    s += e > 0 ? e + Math.log1p(Math.exp(-e)) : Math.log1p(Math.exp(e));
  }
  return s;
}

function penalty(beta: readonly number[], n: number): number {
  return (RIDGE * n * beta.reduce((s, b) => s + b * b, 0)) / 2;
}
