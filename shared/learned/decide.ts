/**
 * How predicted quality becomes a choice. Both rules return every candidate in order of
 * preference, so a retry after a failure goes to the next best.
 */
export interface Ranking {
  /** Candidate indices, most preferred first. */
  readonly order: readonly number[];
  /** Why the first one, in a few words (for the `x-routeiq-router` header). */
  readonly reason: string;
}

const round = (v: number) => Math.round(v * 1000) / 1000;

/**
 * Highest predicted quality minus `costWeight` × cost (cost relative to the dearest candidate, so
 * the weight reads "quality points given up per step from cheapest to dearest"). 0: quality only.
 */
export function rankByUtility(
  predicted: ArrayLike<number>,
  costs: readonly number[],
  costWeight: number,
): Ranking {
  const maxCost = Math.max(...costs) || 1;
  const utility = costs.map((cost, m) => (predicted[m] as number) - (costWeight * cost) / maxCost);
  const order = costs
    .map((_, m) => m)
    .sort(
      (a, b) =>
        (utility[b] as number) - (utility[a] as number) || (costs[a] as number) - (costs[b] as number),
    );
  const first = order[0] as number;
  return {
    order,
    reason: `max-utility; predicted=${round(predicted[first] as number)}; cost_weight=${costWeight}`,
  };
}

/**
 * The cheapest candidate predicted to reach `minQuality` × the best prediction (1: the predicted
 * best, 0: the cheapest); ties on cost go to the better prediction. Those below the bar follow,
 * best predicted first.
 */
export function rankCheapestAboveBar(
  predicted: ArrayLike<number>,
  costs: readonly number[],
  minQuality: number,
): Ranking {
  const best = Math.max(...Array.from(predicted));
  const bar = minQuality * best;
  const indices = costs.map((_, m) => m);
  const clears = (m: number) => (predicted[m] as number) >= bar - 1e-12;
  const byQuality = (a: number, b: number) => (predicted[b] as number) - (predicted[a] as number);
  const eligible = indices
    .filter(clears)
    .sort((a, b) => (costs[a] as number) - (costs[b] as number) || byQuality(a, b));
  const rest = indices.filter((m) => !clears(m)).sort(byQuality);
  const first = eligible[0] as number;
  return {
    order: [...eligible, ...rest],
    reason: `cheapest-above-bar; predicted=${round(predicted[first] as number)}; bar=${round(bar)}; min_quality=${minQuality}`,
  };
}
