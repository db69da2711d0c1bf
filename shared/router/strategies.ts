import { costBased } from "./cost-based";
import { latencyBased } from "./latency-based";
import { leastBusy } from "./least-busy";
import { simpleShuffle } from "./simple-shuffle";
import type { Strategy } from "./types";
import { usageBased } from "./usage-based";

/** LiteLLM `router_settings.routing_strategy` values, for config validation. */
export const strategyNames = Object.freeze([
  "simple-shuffle",
  "least-busy",
  "latency-based-routing",
  "usage-based-routing",
  "usage-based-routing-v2",
  "cost-based-routing",
] as const);

export type StrategyName = (typeof strategyNames)[number];

export const strategies = Object.freeze({
  "simple-shuffle": simpleShuffle,
  "least-busy": leastBusy,
  "latency-based-routing": latencyBased,
  "usage-based-routing": usageBased,
  // v2 differs in LiteLLM only by keeping its counters in Redis, which RouterState already abstracts.
  "usage-based-routing-v2": usageBased,
  "cost-based-routing": costBased,
} satisfies Record<StrategyName, Strategy>);
