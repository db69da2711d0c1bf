import type { Memory } from "./memory";

/**
 * k nearest neighbours by cosine similarity (all vectors are unit length): each candidate's
 * predicted score is its similarity-weighted mean score over the neighbours that observed it.
 */
export function knnPredict(memory: Memory, x: Float32Array, k: number): Float64Array {
  const { rows, dims, candidates, vectors, scores } = memory;
  const size = Math.min(k, rows);
  const topSim = new Float64Array(size).fill(Number.NEGATIVE_INFINITY);
  const topRow = new Int32Array(size).fill(-1);
  const unrolled = dims - (dims % 4);
  for (let r = 0; r < rows; r++) {
    const base = r * dims;
    // Four sums at a time: the scan over every row is the whole cost of a kNN decision.
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let c = 0; c < unrolled; c += 4) {
      s0 += (vectors[base + c] as number) * (x[c] as number);
      s1 += (vectors[base + c + 1] as number) * (x[c + 1] as number);
      s2 += (vectors[base + c + 2] as number) * (x[c + 2] as number);
      s3 += (vectors[base + c + 3] as number) * (x[c + 3] as number);
    }
    for (let c = unrolled; c < dims; c++) s0 += (vectors[base + c] as number) * (x[c] as number);
    const sim = s0 + s1 + s2 + s3;
    if (sim <= (topSim[size - 1] as number)) continue;
    let i = size - 1;
    while (i > 0 && (topSim[i - 1] as number) < sim) {
      topSim[i] = topSim[i - 1] as number;
      topRow[i] = topRow[i - 1] as number;
      i--;
    }
    topSim[i] = sim;
    topRow[i] = r;
  }
  const sums = new Float64Array(candidates);
  const weights = new Float64Array(candidates);
  for (let i = 0; i < size; i++) {
    const row = topRow[i] as number;
    if (row < 0) continue;
    // Far neighbours still count a little, so a query unlike anything seen gets the plain average.
    const w = Math.max(topSim[i] as number, 0) + 1e-3;
    for (let m = 0; m < candidates; m++) {
      const score = scores[row * candidates + m] as number;
      if (Number.isNaN(score)) continue;
      sums[m] = (sums[m] as number) + w * score;
      weights[m] = (weights[m] as number) + w;
    }
  }
  return sums.map((s, m) => (weights[m] === 0 ? (memory.means[m] as number) : s / (weights[m] as number)));
}
