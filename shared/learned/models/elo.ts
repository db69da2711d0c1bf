import { nearestCentroid } from "./clusters";

/** Elo ratings per query cluster, fitted from pairwise comparisons of the candidates' scores. */
export interface EloParams {
  readonly clusters: number;
  readonly dims: number;
  readonly candidates: number;
  readonly centroids: Float32Array;
  readonly ratings: Float32Array;
}

/** Expected score of a rating against another, Elo's logistic curve (400 points = 10:1 odds). */
export const expectedScore = (rating: number, opponent: number): number =>
  1 / (1 + 10 ** ((opponent - rating) / 400));

/** Each candidate's expected score against the field, in the query's cluster. */
export function eloPredict(p: EloParams, x: ArrayLike<number>): Float64Array {
  const c = nearestCentroid(p.centroids, p.dims, x);
  const ratings = p.ratings.subarray(c * p.candidates, (c + 1) * p.candidates);
  const out = new Float64Array(p.candidates);
  for (let m = 0; m < p.candidates; m++) {
    let sum = 0;
    for (let j = 0; j < p.candidates; j++)
      if (j !== m) sum += expectedScore(ratings[m] as number, ratings[j] as number);
    out[m] = p.candidates > 1 ? sum / (p.candidates - 1) : 0.5;
  }
  return out;
}
