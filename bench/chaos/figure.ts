// One line of the chaos suite's results: what was measured, its figure, and whether the promise held.
export interface ChaosFigure {
  name: string;
  figure: string;
  detail: string;
  ok: boolean;
}
