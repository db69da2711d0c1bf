import { createHash } from "node:crypto";
import { ResponseCache } from "../../shared/cache/response-cache";
import type { Env } from "../../shared/config/load";
import type { RuntimeConfig } from "../../shared/config/runtime-config";
import { type DatabaseModels, databaseModels } from "../../shared/db-models/module";
import type { AppDeps } from "../../shared/deps";
import { Lifecycle } from "../../shared/http/lifecycle";
import { noKeyCopies, sharedKeyCopies } from "../../shared/keys/key-copies";
import { keyInvalidation } from "../../shared/keys/key-invalidation";
import { KeyResolver } from "../../shared/keys/key-resolver";
import type { LoadCustomRouter } from "../../shared/learned/serve/custom-router";
import { type LearnedRouting, learnedRouting } from "../../shared/learned/serve/module";
import { Limiter } from "../../shared/limits/limiter";
import { ProxyBudget } from "../../shared/limits/proxy-budget";
import type { Logger } from "../../shared/logging/logger";
import type { GatewayMetrics } from "../../shared/metrics/port";
import { openApiModule } from "../../shared/openapi/module";
import { CachedRouterState } from "../../shared/router/cached-state";
import { KvRouterState } from "../../shared/router/kv-state";
import { MemoryRouterState } from "../../shared/router/memory-state";
import { SpendLogWriter } from "../../shared/spend/log-writer";
import { prefixedKv } from "../../shared/store/kv/prefixed";
import { type AgentGatewaySettings, agentGateways } from "./agent-gateways";
import { chooseCacheStore, openCacheStore, warnOnCacheStoreChange } from "./cache-store";
import type { NodeEnv } from "./env";
import { scalarScript } from "./scalar-script";
import { chooseKv, openStores, type SqlChoice } from "./stores";

/** How upstream providers are called, and how that client is closed at shutdown. */
export interface UpstreamHttp {
  readonly fetch: typeof fetch;
  close(): Promise<void>;
}

export interface NodeDeps {
  readonly deps: AppDeps;
  /** Learned routing: its routing model is loaded and followed by the entry point. */
  readonly learned: LearnedRouting;
  /** Models in the database: followed by the entry point when STORE_MODEL_IN_DB is on. */
  readonly models: DatabaseModels;
  /**
   * Writes what finished requests left queued (response cache stores, router counts, spend rows), keeping
   * everything open; resolves to the spend rows still unwritten. For runtimes that freeze the
   * process between requests (Lambda), where the background writer may never get to run.
   */
  flush(timeoutMs: number): Promise<number>;
  /** After the HTTP server drained: flush the spend log, stop listening, close pools. */
  close(timeoutMs: number): Promise<void>;
}

/** Chooses every adapter for a Node process from its environment; the app gets only ports. */
export async function buildNodeDeps(options: {
  readonly config: () => RuntimeConfig;
  readonly nodeEnv: NodeEnv;
  readonly logger: Logger;
  readonly metrics: GatewayMetrics;
  readonly configSyncStatus: () => Readonly<Record<string, unknown>>;
  readonly upstream: UpstreamHttp;
  /**
   * Subscribe to other replicas' key changes (default true). A frozen Lambda container cannot
   * receive them; it checks the key version once per invoke instead (keys/key-version.ts).
   */
  readonly listenForKeyChanges?: boolean;
  /** The database chosen at start (config or DATABASE_URL); default: the one `nodeEnv` names. */
  readonly database?: SqlChoice;
  /** LLMROUTER_MODEL_PUBLIC_KEY, imported: only routing models it signed are served. */
  readonly routerPublicKey?: CryptoKey;
  /** How `llmrouter-custom` modules are loaded (files beside the config). */
  readonly loadCustomRouter?: LoadCustomRouter;
  /** The MCP and A2A gateways, when enabled. */
  readonly agentGateways?: AgentGatewaySettings;
  /** STORE_MODEL_IN_DB: LITELLM_SALT_KEY (undefined: off) and the environment models read. */
  readonly databaseModels?: { readonly saltKey: string | undefined; readonly env: Env };
  /** OpenTelemetry's server span per request, when tracing is on. */
  readonly requestTracing?: AppDeps["requestTracing"];
}): Promise<NodeDeps> {
  const { logger, metrics, nodeEnv } = options;
  const config = warnOnCacheStoreChange(options.config, logger);
  const keyCache = () => config().keyCache;
  const stores = await openStores(
    nodeEnv,
    logger,
    {
      onKvEvict: (count) => metrics.kvEvicted(count),
      databaseGraceMs: () => (keyCache().readiness === "degraded" ? keyCache().staleMs : 0),
    },
    options.database,
  );
  const models = databaseModels({
    sql: stores.sql,
    logger,
    fileConfig: config,
    env: options.databaseModels?.env ?? {},
    saltKey: options.databaseModels?.saltKey,
  });
  const served = models.config;
  // Everything below reads and writes under the deployment's prefix, announcements included.
  const kv = prefixedKv(stores.kv, nodeEnv.ROUTEIQ_REDIS_PREFIX);
  const cacheStore = openCacheStore(chooseCacheStore(config().cache.store, nodeEnv, chooseKv(nodeEnv)), {
    prefix: nodeEnv.ROUTEIQ_REDIS_PREFIX,
    memoryMaxBytes: Math.floor(nodeEnv.ROUTEIQ_MEMORY_KV_MAX_MB * 1024 * 1024),
    logger,
    onKvEvict: (count) => metrics.kvEvicted(count),
  });
  const keyResolver = new KeyResolver({
    sql: stores.sql,
    settings: keyCache,
    logger,
    onDatabaseFailure: () => metrics.storeFailure("database", "key_lookup"),
    // Sealed with the master key: no master key, no copies; without Redis, each replica its own cache.
    copies: stores.kvShared
      ? sharedKeyCopies(kv, {
          secret: () => config().masterKey,
          onKvFailure: () => metrics.storeFailure("redis", "key_copies"),
        })
      : noKeyCopies,
  });
  const keyEvents = keyInvalidation(kv, keyResolver, logger);
  const stopListening = (options.listenForKeyChanges ?? true) ? await keyEvents.listen() : async () => {};
  const spendLog = new SpendLogWriter({
    sql: stores.sql,
    logger,
    onDropped: (count) => metrics.spendLogDropped(count),
  });
  const sharedRouterState = stores.kvShared
    ? new KvRouterState(kv, { onKvFailure: () => metrics.storeFailure("redis", "router_state") })
    : undefined;
  // Router state is shared through Redis when there is one, so every replica routes alike.
  const routerState =
    sharedRouterState === undefined ? new MemoryRouterState() : new CachedRouterState(sharedRouterState);
  const learned = learnedRouting({
    config: { current: served },
    kv,
    sql: stores.sql,
    metrics,
    logger,
    random: Math.random,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    routerState,
    fetch: options.upstream.fetch,
    publicKey: options.routerPublicKey,
    loadCustomRouter: options.loadCustomRouter,
  });
  const agents =
    options.agentGateways === undefined
      ? undefined
      : agentGateways(options.agentGateways, { config: { current: config }, sql: stores.sql, kv, logger });
  const stopAgents = (await agents?.listen()) ?? (async () => {});
  const deps: AppDeps = {
    config: { current: served },
    routerState,
    metrics,
    logger,
    lifecycle: new Lifecycle(),
    readiness: [...stores.readiness, ...cacheStore.readiness, ...(agents?.readiness ?? [])],
    fetch: options.upstream.fetch,
    random: Math.random,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    sql: stores.sql,
    kv,
    keyResolver,
    hashKey: async (key) => createHash("sha256").update(key).digest("hex"),
    keyEvents,
    limiter: new Limiter({
      kv,
      logger,
      failMode: () => config().rateLimitFailMode,
      onKvFailure: () => metrics.storeFailure("redis", "rate_limit"),
    }),
    proxyBudget: new ProxyBudget({ sql: stores.sql }),
    spendLog,
    configSyncStatus: options.configSyncStatus,
    responseCache: new ResponseCache(cacheStore.kv ?? kv, {
      onKvFailure: () => metrics.storeFailure("redis", "cache"),
    }),
    chooser: learned.chooser,
    requestTracing: options.requestTracing,
    modules: [
      learned.module,
      models.module,
      openApiModule({ scalarScript: scalarScript() }),
      ...(agents?.modules ?? []),
    ],
  };
  return {
    deps,
    learned,
    models,
    async flush(timeoutMs) {
      await Promise.all([
        deps.responseCache.drain(),
        sharedRouterState?.flush(),
        deps.limiter.drain(),
        learned.drain(),
      ]);
      return spendLog.flush({ timeoutMs });
    },
    async close(timeoutMs) {
      await Promise.all([
        deps.responseCache.drain(),
        sharedRouterState?.flush(),
        deps.limiter.drain(),
        learned.drain(),
      ]);
      const left = await spendLog.close({ timeoutMs });
      if (left > 0) logger.error("spend log entries not written before exit", { count: left });
      await stopListening();
      await stopAgents();
      await agents?.close();
      await options.upstream.close();
      await cacheStore.close();
      await stores.close();
    },
  };
}
