import { withDeadline } from "../../shared/async/deadline";
import type { CacheStore } from "../../shared/cache/settings";
import type { RuntimeConfig } from "../../shared/config/runtime-config";
import type { ReadinessCheck } from "../../shared/http/readiness";
import type { Logger } from "../../shared/logging/logger";
import { MemoryKv } from "../../shared/store/kv/memory";
import type { Kv } from "../../shared/store/kv/port";
import { prefixedKv } from "../../shared/store/kv/prefixed";
import { type RedisKvOptions, redisKv } from "../../shared/store/kv/redis";
import type { NodeEnv } from "./env";
import type { KvChoice } from "./stores";

/** Where the response cache keeps answers: the gateway's KV store, or one of its own. */
export type CacheStoreChoice =
  | { readonly kind: "gateway"; readonly warning?: string }
  | { readonly kind: "memory" }
  | { readonly kind: "redis"; readonly options: RedisKvOptions };

/**
 * `cache_params` against the gateway's own stores. A server that is the gateway's Redis (same
 * host, port, password and TLS) is not connected to twice.
 */
export function chooseCacheStore(
  store: CacheStore,
  env: Pick<NodeEnv, "REDIS_TLS">,
  gateway: KvChoice,
): CacheStoreChoice {
  if (store.type === "default") return { kind: "gateway" };
  if (store.type === "local") return gateway.kind === "memory" ? { kind: "gateway" } : { kind: "memory" };
  if (store.server === undefined) {
    return gateway.kind === "redis"
      ? { kind: "gateway" }
      : {
          kind: "gateway",
          warning:
            "litellm_settings.cache_params.type is redis, but the gateway has no Redis (REDIS_URL or REDIS_HOST) and cache_params.host is unset: answers are cached in this process's memory",
        };
  }
  const { host, port, password, tls, clusterNodes } = store.server;
  if (clusterNodes !== undefined) {
    const options: RedisKvOptions = { clusterNodes, password, tls: tls ?? env.REDIS_TLS };
    const same =
      gateway.kind === "redis" &&
      JSON.stringify(gateway.options.clusterNodes) === JSON.stringify(clusterNodes) &&
      gateway.options.password === password &&
      (gateway.options.tls ?? false) === (options.tls ?? false);
    return same ? { kind: "gateway" } : { kind: "redis", options };
  }
  const options: RedisKvOptions = { host, port, password, tls: tls ?? env.REDIS_TLS };
  if (
    gateway.kind === "redis" &&
    gateway.options.clusterNodes === undefined &&
    gateway.options.url === undefined &&
    gateway.options.host === host &&
    gateway.options.port === port &&
    gateway.options.password === password &&
    (gateway.options.tls ?? false) === (options.tls ?? false)
  )
    return { kind: "gateway" };
  return { kind: "redis", options };
}

export interface OpenedCacheStore {
  /** Undefined: the gateway's own store. */
  readonly kv: Kv | undefined;
  /** A separate Redis shows up here as a warning only: the cache is optional, its loss a bypass. */
  readonly readiness: readonly ReadinessCheck[];
  close(): Promise<void>;
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));
/** Inside readiness's own 2 s bound, which would count a hung cache Redis as a failed check. */
const PING_BUDGET_MS = 1_000;

/**
 * Opens the store `choice` names, under the gateway's key prefix. A separate Redis connects in the
 * background: while it cannot be reached every lookup is a bypass (see ResponseCache), never a
 * failed request or a failed start.
 */
export function openCacheStore(
  choice: CacheStoreChoice,
  options: {
    readonly prefix: string;
    readonly memoryMaxBytes: number;
    readonly logger: Logger;
    readonly onKvEvict?: (count: number) => void;
  },
): OpenedCacheStore {
  const { logger } = options;
  if (choice.kind === "gateway") {
    if (choice.warning !== undefined) logger.warn("response cache store", { warning: choice.warning });
    return { kv: undefined, readiness: [], close: async () => {} };
  }
  if (choice.kind === "memory") {
    const kv = new MemoryKv({
      maxBytes: options.memoryMaxBytes,
      onEvict: options.onKvEvict,
      onError: (error) => logger.warn("response cache store error", { error: messageOf(error) }),
    });
    logger.info("response cache in this process's memory (cache_params.type: local)");
    return { kv, readiness: [], close: () => kv.close() };
  }
  const { host, port, tls } = choice.options;
  const redis = redisKv({
    ...choice.options,
    onError: (error) => logger.warn("response cache redis error", { error: messageOf(error) }),
  });
  logger.info("response cache on its own Redis (cache_params.host)", { host, port, tls: tls ?? false });
  return {
    kv: prefixedKv(redis, options.prefix),
    readiness: [
      {
        name: "cache_redis",
        check: async () => {},
        warning: (signal) =>
          withDeadline(redis.ping(signal), PING_BUDGET_MS, "cache redis").then(
            () => undefined,
            (error: unknown) =>
              `unreachable (${messageOf(error)}); requests are served without the response cache`,
          ),
      },
    ],
    close: () => redis.close(),
  };
}

/**
 * The cache's store is opened at start; a reload that names another (type, host, port, password,
 * ssl) is noticed on the first read of the new config, wherever the reload came from (file, S3,
 * a published revision), and takes effect at restart. Everything else in `cache_params` (ttl,
 * namespace, supported_call_types) applies at once.
 */
export function warnOnCacheStoreChange(config: () => RuntimeConfig, logger: Logger): () => RuntimeConfig {
  let seen = config();
  const started = JSON.stringify(seen.cache.store);
  return () => {
    const current = config();
    if (current !== seen) {
      seen = current;
      if (JSON.stringify(current.cache.store) !== started)
        logger.warn(
          "litellm_settings.cache_params changed where answers are cached (type, host, port, password or ssl): this takes effect at restart; the response cache keeps its store meanwhile",
        );
    }
    return current;
  };
}
