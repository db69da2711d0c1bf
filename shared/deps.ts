import type { MiddlewareHandler } from "hono";
import type { ResponseCache } from "./cache/response-cache";
import type { RuntimeConfig } from "./config/runtime-config";
import type { GatewayEnv } from "./http/env";
import type { Lifecycle } from "./http/lifecycle";
import type { ReadinessCheck } from "./http/readiness";
import type { KeyEvents } from "./keys/key-events";
import type { KeyResolver } from "./keys/key-resolver";
import type { Limiter } from "./limits/limiter";
import type { ProxyBudget } from "./limits/proxy-budget";
import type { Logger } from "./logging/logger";
import type { GatewayMetrics } from "./metrics/port";
import type { GatewayModule } from "./module";
import type { Chooser } from "./router/choice";
import type { RouterState } from "./router/types";
import type { SpendLogEntry } from "./spend/entry";
import type { Kv } from "./store/kv/port";
import type { Sql } from "./store/sql/port";
import type { ReplicaRoster } from "./sync/replica-roster";

/** The config in force; a reload swaps what `current()` returns, requests keep what they read. */
export interface ConfigSource {
  current(): RuntimeConfig;
}

export interface SpendSink {
  record(entry: SpendLogEntry): void;
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
  readonly sql: Sql;
  readonly kv: Kv;
  readonly keyResolver: KeyResolver;
  /**
   * SHA-256 hex of an API key, as keys are stored. Optional: the default is WebCrypto's, which any
   * runtime has; Node supplies node:crypto's synchronous one, a fraction of the cost per request.
   */
  readonly hashKey?: (key: string) => Promise<string>;
  /** Tells every replica (this one included) that keys changed, so cached copies are dropped. */
  readonly keyEvents: KeyEvents;
  readonly limiter: Limiter;
  /** `litellm_settings.max_budget`'s spend and window, for the limiter. */
  readonly proxyBudget: ProxyBudget;
  /** Request and spend log: takes an entry at once, writes it to Postgres in batches later. */
  readonly spendLog: SpendSink;
  readonly responseCache: ResponseCache;
  /** `GET /llmrouter/config/sync/status`: the sync loop's state, or its disabled shape. */
  readonly configSyncStatus: () => Readonly<Record<string, unknown>>;
  /** The roster every replica reports to (`/llmrouter/replicas`); absent where replicas do not report. */
  readonly replicas?: { readonly roster: ReplicaRoster; readonly heartbeatMs: number };
  /** Chooses the deployment per request for the groups it serves (learned routing). */
  readonly chooser?: Chooser;
  /** Traces each request (OpenTelemetry, chosen by the entry); absent, tracing costs nothing. */
  readonly requestTracing?: MiddlewareHandler<GatewayEnv>;
  /** Capabilities mounted beside the core routes, each with its own routes (shared/module.ts). */
  readonly modules?: readonly GatewayModule[];
}
