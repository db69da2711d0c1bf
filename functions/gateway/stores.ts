import { join } from "node:path";
import type { ReadinessCheck } from "../../shared/http/readiness";
import type { Logger } from "../../shared/logging/logger";
import { MemoryKv } from "../../shared/store/kv/memory";
import type { Kv } from "../../shared/store/kv/port";
import { type RedisKv, type RedisKvOptions, redisKv } from "../../shared/store/kv/redis";
import { evictionRisk } from "../../shared/store/kv/redis-memory";
import { migrate } from "../../shared/store/sql/migrate";
import { pgSql } from "../../shared/store/sql/pg";
import { pgliteThreadSql } from "../../shared/store/sql/pglite-thread";
import type { Sql } from "../../shared/store/sql/port";
import { missingMigrations, schemaBehindMessage } from "../../shared/store/sql/schema-version";
import { databaseError } from "./database-errors";
import type { NodeEnv } from "./env";

export type StoreEnv = Pick<
  NodeEnv,
  | "DATABASE_URL"
  | "DATABASE_POOL_MAX"
  | "REDIS_CLUSTER_NODES"
  | "REDIS_URL"
  | "REDIS_HOST"
  | "REDIS_PORT"
  | "REDIS_PASSWORD"
  | "REDIS_TLS"
  | "ROUTEIQ_DATA_DIR"
  | "ROUTEIQ_MEMORY_KV_MAX_MB"
  | "LITELLM_RUN_DB_MIGRATIONS"
>;

/** Which database a process uses; `source` names the setting that chose it, in every error about it. */
export type SqlChoice =
  | { kind: "postgres"; connectionString: string; source: string }
  | { kind: "pglite"; dataDir: string; source: string };
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
  if (env.DATABASE_URL !== undefined)
    return { kind: "postgres", connectionString: env.DATABASE_URL, source: "DATABASE_URL" };
  const dataDir = join(env.ROUTEIQ_DATA_DIR ?? ".data", "pglite");
  return { kind: "pglite", dataDir, source: `the embedded database in ${dataDir}` };
}

/**
 * `REDIS_CLUSTER_NODES` → a Redis Cluster; else `REDIS_URL`, else `REDIS_HOST` (+ port) → one
 * Redis (password and TLS apply to either); otherwise memory.
 */
export function chooseKv(env: StoreEnv): KvChoice {
  const shared = { password: env.REDIS_PASSWORD, tls: env.REDIS_TLS };
  if (env.REDIS_CLUSTER_NODES !== undefined)
    return { kind: "redis", options: { clusterNodes: env.REDIS_CLUSTER_NODES, ...shared } };
  if (env.REDIS_URL !== undefined) return { kind: "redis", options: { url: env.REDIS_URL, ...shared } };
  if (env.REDIS_HOST !== undefined) {
    return { kind: "redis", options: { host: env.REDIS_HOST, port: env.REDIS_PORT ?? 6379, ...shared } };
  }
  return { kind: "memory" };
}

/** Background errors no request sees: lost connections, subscribers that throw. */
const reportTo = (logger: Logger, store: string) => (error: unknown) =>
  logger.warn(`${store} error`, { error: error instanceof Error ? error.message : String(error) });

/**
 * Opens the SQL store `choice` names (by default the one `env` names) and, unless
 * `LITELLM_RUN_DB_MIGRATIONS=false`, migrates it. A database that cannot be used fails with an
 * error naming the setting that chose it and what to do.
 */
export async function openSql(env: StoreEnv, logger: Logger, choice = chooseSql(env)): Promise<Sql> {
  const sql =
    choice.kind === "postgres"
      ? pgSql({
          connectionString: choice.connectionString,
          max: env.DATABASE_POOL_MAX,
          onError: reportTo(logger, "database"),
        })
      : // Its own thread: the embedded database's work (spend batches) stays off the request loop.
        await pgliteThreadSql({ dataDir: choice.dataDir }).catch((error: unknown) => {
          throw databaseError(error, choice);
        });
  if (env.LITELLM_RUN_DB_MIGRATIONS === false) return sql;
  try {
    const { applied } = await migrate(sql);
    if (applied.length > 0) logger.info("migrations applied", { applied });
  } catch (error) {
    await sql.close().catch(() => {});
    throw databaseError(error, choice);
  }
  return sql;
}

/**
 * With `LITELLM_RUN_DB_MIGRATIONS=false` someone else migrates (a job, the deploy): until they
 * have, the gateway is not ready and says what to run. A database it cannot reach is the database
 * check's to report (within its grace), and a role that may not read the migrations table (AWS's
 * gateway role) cannot tell: this check passes then.
 */
function schemaCheck(sql: Sql): ReadinessCheck {
  let current = false;
  return {
    name: "schema",
    async check() {
      if (current) return;
      let missing: Awaited<ReturnType<typeof missingMigrations>>;
      try {
        missing = await missingMigrations(sql);
      } catch {
        return;
      }
      if (missing !== undefined && missing.length > 0) throw new Error(schemaBehindMessage(missing));
      current = true;
    },
  };
}

/** Said once at start, where an operator reads first; readiness keeps saying it until migrated. */
function reportSchemaAtStart(sql: Sql, choice: SqlChoice, logger: Logger): void {
  void missingMigrations(sql).then(
    (missing) => {
      if (missing !== undefined && missing.length > 0)
        logger.error("database schema is behind this gateway", { error: schemaBehindMessage(missing) });
    },
    (error: unknown) =>
      logger.warn("could not check the database schema", { error: databaseError(error, choice).message }),
  );
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

const CLUSTER_NODE =
  "REDIS_URL (or REDIS_HOST) reaches a Redis Cluster node (cluster_enabled:1), which refuses every key of another node's slots: limits and budgets would fail; list the cluster's nodes in REDIS_CLUSTER_NODES instead";

/**
 * Fails readiness, and says so once in the log, while the one Redis server configured is a Redis
 * Cluster node: an ElastiCache cluster-mode endpoint given as REDIS_URL. Checked until INFO answers
 * (a node does not change mode while it runs); while INFO fails (an ACL that forbids it) the check
 * passes, as the ping did.
 */
function singleServerCheck(redis: RedisKv, logger: Logger): (signal: AbortSignal) => Promise<void> {
  let known = false;
  let logged = false;
  return async (signal) => {
    if (known) return;
    let clustered: boolean;
    try {
      clustered = await redis.reachesClusterNode(signal);
    } catch {
      return;
    }
    if (!clustered) {
      known = true;
      return;
    }
    if (!logged) logger.error("redis is a cluster node", { error: CLUSTER_NODE });
    logged = true;
    throw new Error(CLUSTER_NODE);
  };
}

export interface StoreHooks {
  /** Keys the embedded KV store evicted to stay under ROUTEIQ_MEMORY_KV_MAX_MB. */
  readonly onKvEvict?: (count: number) => void;
  /** How long the database check may fail while the replica still serves (readiness `degraded`). */
  readonly databaseGraceMs?: () => number;
}

/**
 * The stores a Node process uses: the database `database` names (by default the one `env` names),
 * Redis when configured, embedded stores otherwise.
 */
export async function openStores(
  env: StoreEnv,
  logger: Logger,
  hooks: StoreHooks = {},
  database = chooseSql(env),
): Promise<Stores> {
  const kvChoice = chooseKv(env);
  const sql = await openSql(env, logger, database);
  const readiness: ReadinessCheck[] = [];
  if (database.kind === "postgres")
    readiness.push({
      name: "database",
      check: (signal) => sql.ping(signal),
      graceMs: hooks.databaseGraceMs,
    });
  if (env.LITELLM_RUN_DB_MIGRATIONS === false) {
    readiness.push(schemaCheck(sql));
    reportSchemaAtStart(sql, database, logger);
  }
  let kv: Kv;
  if (kvChoice.kind === "redis") {
    const redis = redisKv({ ...kvChoice.options, onError: reportTo(logger, "redis") });
    const mode = singleServerCheck(redis, logger);
    // Said at start, where an operator reads first; readiness keeps failing until it is fixed.
    void mode(AbortSignal.timeout(10_000)).catch(() => {});
    readiness.push({
      name: "redis",
      check: async (signal) => {
        await redis.ping(signal);
        await mode(signal);
      },
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
