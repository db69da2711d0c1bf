import { pickLowest } from "./pick";
import type { Strategy } from "./types";

/** Fewest requests in flight (LiteLLM `least-busy`). */
export const leastBusy: Strategy = (candidates, ctx) =>
  pickLowest(candidates, (c) => c.stats.inFlight, ctx.random);
