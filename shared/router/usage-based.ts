import { pickLowest } from "./pick";
import type { Candidate, Strategy } from "./types";

function hasHeadroom({ deployment, stats }: Candidate, estimatedTokens: number): boolean {
  const rpmOk = deployment.rpm === undefined || stats.rpm + 1 <= deployment.rpm;
  const tpmOk = deployment.tpm === undefined || stats.tpm + estimatedTokens <= deployment.tpm;
  return rpmOk && tpmOk;
}

/**
 * Least tokens used this minute among deployments still under their rpm/tpm limits
 * (LiteLLM `usage-based-routing`); undefined when every one is at its limit.
 */
export const usageBased: Strategy = (candidates, ctx) =>
  pickLowest(
    candidates.filter((c) => hasHeadroom(c, ctx.estimatedTokens)),
    (c) => c.stats.tpm,
    ctx.random,
  );
