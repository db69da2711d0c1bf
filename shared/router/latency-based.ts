import { pickRandom } from "./pick";
import type { Strategy } from "./types";

function bufferOf(args: Readonly<Record<string, unknown>>): number {
  const buffer = args.lowest_latency_buffer;
  return typeof buffer === "number" && Number.isFinite(buffer) && buffer > 0 ? buffer : 0;
}

/**
 * Lowest average latency (LiteLLM `latency-based-routing`). Unmeasured deployments go first so they get
 * a latency at all; `lowest_latency_buffer` spreads load over those within that fraction of the fastest.
 */
export const latencyBased: Strategy = (candidates, ctx) => {
  const unmeasured = candidates.filter((c) => c.stats.latencyMs === undefined);
  if (unmeasured.length > 0) return pickRandom(unmeasured, ctx.random);
  const lowest = Math.min(...candidates.map((c) => c.stats.latencyMs ?? Number.POSITIVE_INFINITY));
  const ceiling = lowest * (1 + bufferOf(ctx.args));
  return pickRandom(
    candidates.filter((c) => (c.stats.latencyMs ?? Number.POSITIVE_INFINITY) <= ceiling),
    ctx.random,
  );
};
