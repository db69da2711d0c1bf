import { pickRandom } from "./pick";
import type { Candidate, Strategy } from "./types";

/**
 * LiteLLM's order of preference for what to weigh by. An explicit weight left out counts as 1 so a
 * deployment is not starved by omission; rpm/tpm left out count as 0 (traffic follows declared capacity).
 */
function weightsOf(candidates: readonly Candidate[]): number[] | undefined {
  const has = (key: "weight" | "rpm" | "tpm") => candidates.some((c) => c.deployment[key] !== undefined);
  if (has("weight")) return candidates.map((c) => c.deployment.weight ?? 1);
  if (has("rpm")) return candidates.map((c) => c.deployment.rpm ?? 0);
  if (has("tpm")) return candidates.map((c) => c.deployment.tpm ?? 0);
  return undefined;
}

/** Weighted random pick (LiteLLM `simple-shuffle`). */
export const simpleShuffle: Strategy = (candidates, ctx) => {
  const weights = weightsOf(candidates)?.map((w) => Math.max(0, w));
  const total = weights?.reduce((sum, w) => sum + w, 0) ?? 0;
  if (weights === undefined || !(total > 0)) return pickRandom(candidates, ctx.random);
  const target = ctx.random() * total;
  let cumulative = 0;
  let last: Candidate | undefined;
  for (const [i, candidate] of candidates.entries()) {
    const weight = weights[i] ?? 0;
    if (weight === 0) continue;
    cumulative += weight;
    last = candidate;
    if (target < cumulative) return candidate;
  }
  // Floating-point rounding can leave target at the very top of the range.
  return last;
};
