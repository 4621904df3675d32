// Isotonic regression by pool-adjacent-violators (PAVA): the non-increasing step function closest,
// in weighted least squares, to points (x, y). For 0/1 churn outcomes against the score, each step
// is the churn rate of a run of adjacent scores, and a higher score never gets a higher rate. No
// maintained npm package does this, and the algorithm is a dozen lines.

export interface IsotonicPoint {
  x: number;
  y: number;
  /** How many observations the point stands for (> 0). */
  weight: number;
}

export interface IsotonicBlock {
  /** The lowest and highest x pooled into the block. */
  from: number;
  to: number;
  /** The weighted mean of the block's y: the fitted value for every x in [from, to]. */
  value: number;
  weight: number;
}

/**
 * Fits a non-increasing step function. Points may come in any order; equal x are pooled first
 * (one x, one fitted value). Blocks come back ordered by x, their values non-increasing.
 */
export function isotonicDecreasing(points: readonly IsotonicPoint[]): IsotonicBlock[] {
  const sorted = [...points].sort((a, b) => a.x - b.x);
  const blocks: { from: number; to: number; sum: number; weight: number }[] = [];
  for (let i = 0; i < sorted.length;) {
    // Equal x first: they must end in the same block whatever their order.
    let sum = 0;
    let weight = 0;
    const x = sorted[i]!.x;
    for (; i < sorted.length && sorted[i]!.x === x; i++) {
      sum += sorted[i]!.y * sorted[i]!.weight;
      weight += sorted[i]!.weight;
    }
    let block = { from: x, to: x, sum, weight };
    // A block above its left neighbour's mean violates "non-increasing": pool them, and repeat
    // leftwards while the pooled block still violates.
    while (blocks.length > 0 && mean(blocks[blocks.length - 1]!) < mean(block)) {
      const left = blocks.pop()!;
      block = {
        from: left.from,
        to: block.to,
        sum: left.sum + block.sum,
        weight: left.weight + block.weight,
      };
    }
    blocks.push(block);
  }
  return blocks.map((b) => ({ from: b.from, to: b.to, value: mean(b), weight: b.weight }));
}

const mean = (b: { sum: number; weight: number }) => b.sum / b.weight;
