import type { CacheSettings } from "../cache/settings";
import type { RouteFilter } from "../http/allowed-routes";
import type { KeyCacheSettings } from "../keys/key-cache-settings";
import type { LearnedRoutingSettings } from "../learned/settings";
import type { ProxyBudgetSettings } from "../limits/proxy-budget";
import type { McpServer } from "../mcp/server-spec";
import type { ResponsesSettings } from "../responses-api/settings";
import type { StrategyName } from "../router/strategies";
import type { WildcardRoute } from "../router/wildcard-routes";
import type { Deployment } from "./deployment";

export interface RouterPolicy {
  readonly strategy: StrategyName;
  readonly strategyArgs: Readonly<Record<string, unknown>>;
  readonly numRetries: number;
  /** Minimum wait before retrying a deployment that already failed this request. */
  readonly retryAfterMs: number;
  readonly allowedFails: number;
  readonly cooldownMs: number;
}

/** A validated config, resolved into what the gateway serves from. Immutable: reloads swap it whole. */
export interface RuntimeConfig {
  readonly deployments: readonly Deployment[];
  /** Deployments by model group, in config order; a wildcard route's group is named by its pattern. */
  readonly groups: ReadonlyMap<string, readonly Deployment[]>;
  /** The groups whose `model_name` has a `*`, most specific first. */
  readonly wildcards: readonly WildcardRoute[];
  readonly router: RouterPolicy;
  readonly fallbacks: ReadonlyMap<string, readonly string[]>;
  readonly contextWindowFallbacks: ReadonlyMap<string, readonly string[]>;
  readonly masterKey: string | undefined;
  readonly maxRequestBytes: number;
  readonly maxParallelRequests: number | undefined;
  readonly rateLimitFailMode: "open" | "closed";
  readonly metricsRequireAuth: boolean;
  /** `litellm_settings.cache` / `cache_params`: the response cache. */
  readonly cache: CacheSettings;
  /** The virtual-key cache, and what a database outage does to keys and readiness. */
  readonly keyCache: KeyCacheSettings;
  /** `general_settings.allowed_routes`: the routes served; undefined, all of them. */
  readonly allowedRoutes: RouteFilter | undefined;
  /** `litellm_settings.max_budget` and `budget_duration`, when a budget is set. */
  readonly proxyBudget: ProxyBudgetSettings | undefined;
  /**
   * `general_settings.database_url`: read once, when the process starts (a reload that changes it
   * takes effect at the next start). Wins over DATABASE_URL, as in LiteLLM.
   */
  readonly databaseUrl: string | undefined;
  /**
   * `general_settings.store_model_in_db`: read once, when the process starts; STORE_MODEL_IN_DB in
   * the environment wins when it is set.
   */
  readonly storeModelInDb?: boolean;
  /** `learned_routing`: model groups a learned router chooses for; undefined when the section is absent. */
  readonly learnedRouting?: LearnedRoutingSettings;
  /** `general_settings.maximum_spend_logs_retention_period`: how long spend log rows are kept. */
  readonly spendLogRetention?: string;
  /** Stored responses of the Responses API: their lifetime and size bounds. */
  readonly responses: ResponsesSettings;
  /** config.yaml's `mcp_servers` (servers registered at runtime live in the database). */
  readonly mcpServers?: readonly McpServer[];
}
