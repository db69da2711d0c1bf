/** A sparse vector: parallel arrays of indices and values. */
export interface SparseVector {
  readonly indices: Int32Array;
  readonly values: Float64Array;
}

export function normalize(vector: Float32Array | Float64Array): void {
  let norm = 0;
  for (const v of vector) norm += v * v;
  norm = Math.sqrt(norm);
  if (norm === 0) return;
  for (let i = 0; i < vector.length; i++) vector[i] = (vector[i] as number) / norm;
}
