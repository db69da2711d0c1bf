import type { RuntimeConfig } from "./config/runtime-config";
import type { Lifecycle } from "./http/lifecycle";
import type { ReadinessCheck } from "./http/readiness";
import type { Logger } from "./logging/logger";
import type { GatewayMetrics } from "./metrics/port";
import type { RouterState } from "./router/types";

/** The config in force; a reload swaps what `current()` returns, requests keep what they read. */
export interface ConfigSource {
  current(): RuntimeConfig;
}

/** Everything the app needs from the outside, chosen by the entry point for its runtime. */
export interface AppDeps {
  readonly config: ConfigSource;
  readonly routerState: RouterState;
  readonly metrics: GatewayMetrics;
  readonly logger: Logger;
  readonly lifecycle: Lifecycle;
  /** Dependencies `/_health/ready` checks (database, Redis) when they are configured. */
  readonly readiness: readonly ReadinessCheck[];
  readonly fetch: typeof fetch;
  readonly random: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}
