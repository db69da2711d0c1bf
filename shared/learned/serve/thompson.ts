import type { Ranking } from "../decide";

/** What the bandit has seen of one candidate in one cluster: observations and their summed reward. */
export interface ArmStats {
  readonly n: number;
  readonly sum: number;
}

function standardNormal(random: () => number): number {
  const u = Math.max(random(), Number.MIN_VALUE);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** Gamma(shape, 1) by Marsaglia and Tsang's method (boosted below shape 1). */
function gamma(shape: number, random: () => number): number {
  if (shape < 1) return gamma(shape + 1, random) * Math.max(random(), Number.MIN_VALUE) ** (1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = standardNormal(random);
    const v = (1 + c * x) ** 3;
    if (v <= 0) continue;
    const u = random();
    if (Math.log(Math.max(u, Number.MIN_VALUE)) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

export function sampleBeta(alpha: number, beta: number, random: () => number): number {
  const x = gamma(alpha, random);
  return x / (x + gamma(beta, random));
}

/**
 * Thompson sampling: each candidate's quality is drawn from a Beta posterior whose prior is the
 * training data's mean score in this cluster, worth `priorStrength` observations, updated by live
 * rewards; the draws are then traded against cost like the other routers' predictions. Candidates
 * the live rewards say little about keep getting tried, in proportion to their chance of being best.
 */
export function thompsonRanking(
  prior: ArrayLike<number>,
  stats: readonly ArmStats[],
  costs: readonly number[],
  options: { priorStrength: number; costWeight: number; random: () => number },
): Ranking & { readonly sampled: readonly number[] } {
  const maxCost = Math.max(...costs) || 1;
  const sampled = costs.map((_, m) => {
    const p = Math.min(0.999, Math.max(0.001, prior[m] as number));
    const s = stats[m] ?? { n: 0, sum: 0 };
    return sampleBeta(
      options.priorStrength * p + s.sum,
      options.priorStrength * (1 - p) + Math.max(0, s.n - s.sum),
      options.random,
    );
  });
  const utility = sampled.map((q, m) => q - (options.costWeight * (costs[m] as number)) / maxCost);
  const order = costs.map((_, m) => m).sort((a, b) => (utility[b] as number) - (utility[a] as number));
  const first = order[0] as number;
  const seen = stats[first]?.n ?? 0;
  return {
    order,
    sampled,
    reason: `thompson; sampled=${Math.round((sampled[first] as number) * 1000) / 1000}; observed=${Math.round(seen)}; cost_weight=${options.costWeight}`,
  };
}
