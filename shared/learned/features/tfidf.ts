import { bucketCounts } from "./tokens";
import type { SparseVector } from "./vectors";

/** Inverse document frequency per bucket, smoothed: ln((1 + n) / (1 + df)) + 1. */
export function fitIdf(texts: readonly string[], buckets: number): Float64Array {
  const df = new Float64Array(buckets);
  for (const text of texts) for (const b of bucketCounts(text, buckets).keys()) df[b] = (df[b] as number) + 1;
  return df.map((d) => Math.log((1 + texts.length) / (1 + d)) + 1);
}

/** Sub-linear term frequency times IDF, L2-normalised. */
export function tfidf(text: string, idf: ArrayLike<number>): SparseVector {
  const counts = bucketCounts(text, idf.length);
  const indices = Int32Array.from(counts.keys());
  const values = new Float64Array(indices.length);
  let norm = 0;
  indices.forEach((b, i) => {
    const v = (1 + Math.log(counts.get(b) as number)) * (idf[b] as number);
    values[i] = v;
    norm += v * v;
  });
  norm = Math.sqrt(norm);
  if (norm > 0) for (let i = 0; i < values.length; i++) values[i] = (values[i] as number) / norm;
  return { indices, values };
}
