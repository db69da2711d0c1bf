import { ResponseCache } from "../../shared/cache/response-cache";
import type { ConfigHolder } from "../../shared/config/config-holder";
import type { AppDeps } from "../../shared/deps";
import { Lifecycle } from "../../shared/http/lifecycle";
import { sharedKeyCopies } from "../../shared/keys/key-copies";
import { keyInvalidation } from "../../shared/keys/key-invalidation";
import { KeyResolver } from "../../shared/keys/key-resolver";
import { type LearnedRouting, learnedRouting } from "../../shared/learned/serve/module";
import { Limiter } from "../../shared/limits/limiter";
import { ProxyBudget } from "../../shared/limits/proxy-budget";
import type { Logger } from "../../shared/logging/logger";
import type { GatewayMetrics } from "../../shared/metrics/port";
import { CachedRouterState } from "../../shared/router/cached-state";
import { KvRouterState } from "../../shared/router/kv-state";
import { SpendLogWriter } from "../../shared/spend/log-writer";
import { prefixedKv } from "../../shared/store/kv/prefixed";
import { upstashKv } from "../../shared/store/kv/upstash";
import { neonSql } from "../../shared/store/sql/neon";
import { bundledCustomRouters } from "./custom-routers";
import type { EdgeEnv } from "./env";
import { SettlingRouterState } from "./settling-router-state";

export interface EdgeDeps {
  readonly deps: AppDeps;
  /** Learned routing: the entry follows the published routing models. */
  readonly learned: LearnedRouting;
  /**
   * Writes what finished requests left queued (response cache stores, router counts, limit
   * releases, spend rows); resolves to the spend rows still unwritten after `timeoutMs`.
   */
  flush(timeoutMs: number): Promise<number>;
}

/**
 * Chooses every adapter for a Worker isolate: Neon and Upstash, shared with the region. Nothing
 * here opens a connection or starts a timer: a Worker's sockets and timers belong to one request,
 * so each query and command makes its own, and queued writes go out in `flush`, which the entry
 * runs after every request under `ctx.waitUntil`.
 */
export function buildEdgeDeps(options: {
  readonly env: EdgeEnv;
  readonly holder: ConfigHolder;
  readonly logger: Logger;
  readonly metrics: GatewayMetrics;
  readonly configSyncStatus: () => Readonly<Record<string, unknown>>;
  /** LLMROUTER_MODEL_PUBLIC_KEY, imported: only routing models it signed are served. */
  readonly routerPublicKey?: CryptoKey;
}): EdgeDeps {
  const { env, holder, logger, metrics } = options;
  const config = () => holder.current();
  const sql = neonSql({ connectionString: env.DATABASE_URL, wsProxy: env.ROUTEIQ_NEON_WS_PROXY });
  const kv = prefixedKv(
    upstashKv({ url: env.UPSTASH_REDIS_REST_URL, token: env.UPSTASH_REDIS_REST_TOKEN }),
    env.ROUTEIQ_REDIS_PREFIX,
  );
  // How long a key read from Postgres is trusted here (`user_api_key_cache_ttl`) is the bound on a
  // key deleted, blocked or changed in the region still working at the edge: a Worker cannot hold
  // the pub/sub connection the region's replicas use to drop a key at once. Through a database
  // outage the edge serves keys it read, or that the region sealed into Upstash, like any replica.
  const keyResolver = new KeyResolver({
    sql,
    settings: () => config().keyCache,
    logger,
    onDatabaseFailure: () => metrics.storeFailure("database", "key_lookup"),
    copies: sharedKeyCopies(kv, {
      secret: () => config().masterKey,
      onKvFailure: () => metrics.storeFailure("redis", "key_copies"),
    }),
  });
  const spendLog = new SpendLogWriter({
    sql,
    logger,
    background: false,
    onDropped: (count) => metrics.spendLogDropped(count),
  });
  const shared = new KvRouterState(kv, { onKvFailure: () => metrics.storeFailure("redis", "router_state") });
  const routerState = new SettlingRouterState(new CachedRouterState(shared), () => shared.flush());
  // Called as a function, never as a method of an object: a Worker's fetch refuses that (illegal invocation).
  const edgeFetch: typeof fetch = (input, init) => fetch(input, init);
  const learned = learnedRouting({
    config: { current: config },
    kv,
    sql,
    metrics,
    logger,
    random: Math.random,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    routerState,
    fetch: edgeFetch,
    publicKey: options.routerPublicKey,
    loadCustomRouter: bundledCustomRouters,
  });
  const deps: AppDeps = {
    config: { current: config },
    routerState,
    metrics,
    logger,
    lifecycle: new Lifecycle(),
    readiness: [
      { name: "database", check: (signal) => sql.ping(signal) },
      { name: "redis", check: (signal) => kv.ping(signal) },
    ],
    fetch: edgeFetch,
    random: Math.random,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    sql,
    kv,
    keyResolver,
    proxyBudget: new ProxyBudget({ sql }),
    // Announces to the region's replicas; the edge itself never listens (see the key resolver above).
    keyEvents: keyInvalidation(kv, keyResolver, logger),
    limiter: new Limiter({
      kv,
      logger,
      failMode: () => config().rateLimitFailMode,
      onKvFailure: () => metrics.storeFailure("redis", "rate_limit"),
    }),
    spendLog,
    responseCache: new ResponseCache(kv, { onKvFailure: () => metrics.storeFailure("redis", "cache") }),
    configSyncStatus: options.configSyncStatus,
    chooser: learned.chooser,
    modules: [learned.module],
  };
  return {
    deps,
    learned,
    async flush(timeoutMs) {
      await Promise.all([
        deps.responseCache.drain(),
        routerState.flush(),
        deps.limiter.drain(),
        learned.drain(),
      ]);
      return spendLog.flush({ timeoutMs });
    },
  };
}
