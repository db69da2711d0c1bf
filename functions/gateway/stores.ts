import { join } from "node:path";
import type { ReadinessCheck } from "../../shared/http/readiness";
import type { Logger } from "../../shared/logging/logger";
import { MemoryKv } from "../../shared/store/kv/memory";
import type { Kv } from "../../shared/store/kv/port";
import { type RedisKv, type RedisKvOptions, redisKv } from "../../shared/store/kv/redis";
import { evictionRisk } from "../../shared/store/kv/redis-memory";
import { migrate } from "../../shared/store/sql/migrate";
import { pgSql } from "../../shared/store/sql/pg";
import { pgliteSql } from "../../shared/store/sql/pglite";
import type { Sql } from "../../shared/store/sql/port";
import type { NodeEnv } from "./env";

export type StoreEnv = Pick<
  NodeEnv,
  | "DATABASE_URL"
  | "DATABASE_POOL_MAX"
  | "REDIS_URL"
  | "REDIS_HOST"
  | "REDIS_PORT"
  | "REDIS_PASSWORD"
  | "REDIS_TLS"
  | "ROUTEIQ_DATA_DIR"
  | "ROUTEIQ_MEMORY_KV_MAX_MB"
  | "LITELLM_RUN_DB_MIGRATIONS"
>;

export type SqlChoice = { kind: "postgres"; connectionString: string } | { kind: "pglite"; dataDir: string };
export type KvChoice = { kind: "redis"; options: RedisKvOptions } | { kind: "memory" };

export interface Stores {
  readonly sql: Sql;
  readonly kv: Kv;
  /** True when the KV store is shared by every replica (Redis), false for this process's memory. */
  readonly kvShared: boolean;
  /** One check per configured service; the embedded stores live and die with the process. */
  readonly readiness: ReadinessCheck[];
  close(): Promise<void>;
}

/** `DATABASE_URL` → PostgreSQL; otherwise PGlite in `<ROUTEIQ_DATA_DIR>/pglite` (default `./.data`). */
export function chooseSql(env: StoreEnv): SqlChoice {
  if (env.DATABASE_URL !== undefined) return { kind: "postgres", connectionString: env.DATABASE_URL };
  return { kind: "pglite", dataDir: join(env.ROUTEIQ_DATA_DIR ?? ".data", "pglite") };
}

/** `REDIS_URL`, else `REDIS_HOST` (+ port, password, TLS) → Redis; otherwise memory. */
export function chooseKv(env: StoreEnv): KvChoice {
  const shared = { password: env.REDIS_PASSWORD, tls: env.REDIS_TLS };
  if (env.REDIS_URL !== undefined) return { kind: "redis", options: { url: env.REDIS_URL, ...shared } };
  if (env.REDIS_HOST !== undefined) {
    return { kind: "redis", options: { host: env.REDIS_HOST, port: env.REDIS_PORT ?? 6379, ...shared } };
  }
  return { kind: "memory" };
}

/** Background errors no request sees: lost connections, subscribers that throw. */
const reportTo = (logger: Logger, store: string) => (error: unknown) =>
  logger.warn(`${store} error`, { error: error instanceof Error ? error.message : String(error) });

/** Opens the SQL store `env` names and, unless `LITELLM_RUN_DB_MIGRATIONS=false`, migrates it. */
export async function openSql(env: StoreEnv, logger: Logger): Promise<Sql> {
  const choice = chooseSql(env);
  const sql =
    choice.kind === "postgres"
      ? pgSql({
          connectionString: choice.connectionString,
          max: env.DATABASE_POOL_MAX,
          onError: reportTo(logger, "database"),
        })
      : await pgliteSql({ dataDir: choice.dataDir });
  if (env.LITELLM_RUN_DB_MIGRATIONS === false) return sql;
  try {
    const { applied } = await migrate(sql);
    if (applied.length > 0) logger.info("migrations applied", { applied });
  } catch (error) {
    await sql.close().catch(() => {});
    throw error;
  }
  return sql;
}

/**
 * Whether Redis's eviction policy could drop or refuse rate-limit state; an INFO that fails (an ACL
 * that forbids it) is worth a warning too.
 */
async function redisPolicyWarning(kv: RedisKv, signal: AbortSignal): Promise<string | undefined> {
  try {
    return evictionRisk(await kv.memoryInfo(signal));
  } catch (error) {
    return `could not read INFO memory (${error instanceof Error ? error.message : String(error)}); make sure maxmemory-policy is volatile-lru`;
  }
}

export interface StoreHooks {
  /** Keys the embedded KV store evicted to stay under ROUTEIQ_MEMORY_KV_MAX_MB. */
  readonly onKvEvict?: (count: number) => void;
  /** How long the database check may fail while the replica still serves (readiness `degraded`). */
  readonly databaseGraceMs?: () => number;
}

/** The stores a Node process uses, chosen by `env`: shared services when configured, embedded otherwise. */
export async function openStores(env: StoreEnv, logger: Logger, hooks: StoreHooks = {}): Promise<Stores> {
  const kvChoice = chooseKv(env);
  const sql = await openSql(env, logger);
  const readiness: ReadinessCheck[] = [];
  if (chooseSql(env).kind === "postgres")
    readiness.push({
      name: "database",
      check: (signal) => sql.ping(signal),
      graceMs: hooks.databaseGraceMs,
    });
  let kv: Kv;
  if (kvChoice.kind === "redis") {
    const redis = redisKv({ ...kvChoice.options, onError: reportTo(logger, "redis") });
    readiness.push({
      name: "redis",
      check: (signal) => redis.ping(signal),
      warning: (signal) => redisPolicyWarning(redis, signal),
    });
    // Said once at start, where an operator reads first; readiness keeps showing it.
    void redis.memoryInfo().then(
      (info) => {
        const risk = evictionRisk(info);
        if (risk !== undefined) logger.warn("redis can drop or refuse rate-limit state", { warning: risk });
      },
      () => {},
    );
    kv = redis;
  } else {
    kv = new MemoryKv({
      onError: reportTo(logger, "kv"),
      maxBytes: Math.floor(env.ROUTEIQ_MEMORY_KV_MAX_MB * 1024 * 1024),
      onEvict: hooks.onKvEvict,
    });
  }
  return {
    sql,
    kv,
    kvShared: kvChoice.kind === "redis",
    readiness,
    async close() {
      const results = await Promise.allSettled([kv.close(), sql.close()]);
      const failed = results.find((result) => result.status === "rejected");
      if (failed !== undefined) throw failed.reason;
    },
  };
}
