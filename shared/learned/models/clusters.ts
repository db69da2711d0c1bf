/** The centroid most similar to the unit vector `x` (centroids are unit length too). */
export function nearestCentroid(centroids: Float32Array, dims: number, x: ArrayLike<number>): number {
  let best = 0;
  let bestSim = Number.NEGATIVE_INFINITY;
  for (let c = 0; c * dims < centroids.length; c++) {
    let sim = 0;
    for (let i = 0; i < dims; i++) sim += (centroids[c * dims + i] as number) * (x[i] as number);
    if (sim > bestSim) {
      bestSim = sim;
      best = c;
    }
  }
  return best;
}
