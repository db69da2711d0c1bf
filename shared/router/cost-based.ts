import { pickLowest } from "./pick";
import type { Candidate, Strategy } from "./types";

/** Price per input plus output token; a deployment with neither price known sorts after all priced ones. */
function costOf({ deployment }: Candidate): number {
  const { inputCostPerToken: input, outputCostPerToken: output } = deployment;
  if (input === undefined && output === undefined) return Number.POSITIVE_INFINITY;
  return (input ?? 0) + (output ?? 0);
}

/** Cheapest deployment (LiteLLM `cost-based-routing`). */
export const costBased: Strategy = (candidates, ctx) => pickLowest(candidates, costOf, ctx.random);
