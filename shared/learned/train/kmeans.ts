import { normalize } from "../features/vectors";
import { nearestCentroid } from "../models/clusters";
import { seededRandom } from "./random";

/**
 * Spherical k-means over unit vectors (k-means++ seeding): `count` unit centroids and each row's
 * cluster. Fewer rows than clusters give one cluster per row.
 */
export function kmeans(
  vectors: Float32Array,
  dims: number,
  count: number,
  seed: number,
  iterations = 15,
): { centroids: Float32Array; assignment: Int32Array } {
  const rows = vectors.length / dims;
  const k = Math.max(1, Math.min(count, rows));
  const random = seededRandom(seed);
  const centroids = new Float32Array(k * dims);
  const row = (r: number) => vectors.subarray(r * dims, (r + 1) * dims);
  centroids.set(row(Math.floor(random() * rows)), 0);
  const distance = new Float64Array(rows).fill(Number.POSITIVE_INFINITY);
  for (let c = 1; c < k; c++) {
    let total = 0;
    for (let r = 0; r < rows; r++) {
      let sim = 0;
      for (let i = 0; i < dims; i++)
        sim += (vectors[r * dims + i] as number) * (centroids[(c - 1) * dims + i] as number);
      distance[r] = Math.min(distance[r] as number, Math.max(0, 1 - sim));
      total += distance[r] as number;
    }
    let target = random() * total;
    let pick = rows - 1;
    for (let r = 0; r < rows; r++) {
      target -= distance[r] as number;
      if (target <= 0) {
        pick = r;
        break;
      }
    }
    centroids.set(row(pick), c * dims);
  }
  const assignment = new Int32Array(rows);
  for (let it = 0; it < iterations; it++) {
    for (let r = 0; r < rows; r++) assignment[r] = nearestCentroid(centroids, dims, row(r));
    const sums = new Float64Array(k * dims);
    const sizes = new Int32Array(k);
    for (let r = 0; r < rows; r++) {
      const c = assignment[r] as number;
      sizes[c] = (sizes[c] as number) + 1;
      for (let i = 0; i < dims; i++)
        sums[c * dims + i] = (sums[c * dims + i] as number) + (vectors[r * dims + i] as number);
    }
    for (let c = 0; c < k; c++) {
      if (sizes[c] === 0) continue;
      const centroid = sums.subarray(c * dims, (c + 1) * dims);
      normalize(centroid);
      centroids.set(centroid, c * dims);
    }
  }
  return { centroids, assignment };
}
