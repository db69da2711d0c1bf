/** Training queries (unit vectors) and their scores per candidate, NaN where a score was not observed. */
export interface Memory {
  readonly rows: number;
  readonly dims: number;
  readonly candidates: number;
  readonly vectors: Float32Array;
  readonly scores: Float32Array;
  /** Each candidate's mean observed score: the estimate when no neighbour observed it. */
  readonly means: Float64Array;
}

export const MISSING_SCORE = 255;

/** Scores stored as bytes: 0..254 for 0..1, 255 for "not observed". */
export const scoreToByte = (score: number): number =>
  Number.isNaN(score) ? MISSING_SCORE : Math.round(Math.min(1, Math.max(0, score)) * 254);

export function memoryFrom(
  vectors: Float32Array,
  bytes: Uint8Array,
  dims: number,
  candidates: number,
): Memory {
  const rows = vectors.length / dims;
  const scores = new Float32Array(bytes.length);
  const sums = new Float64Array(candidates);
  const counts = new Float64Array(candidates);
  bytes.forEach((b, i) => {
    const score = b === MISSING_SCORE ? Number.NaN : b / 254;
    scores[i] = score;
    if (!Number.isNaN(score)) {
      sums[i % candidates] = (sums[i % candidates] as number) + score;
      counts[i % candidates] = (counts[i % candidates] as number) + 1;
    }
  });
  const means = sums.map((s, m) => (counts[m] === 0 ? 0 : s / (counts[m] as number)));
  return { rows, dims, candidates, vectors, scores, means };
}
