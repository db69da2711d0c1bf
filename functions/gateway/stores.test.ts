import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { runReadiness } from "../../shared/http/readiness";
import { type Logger, silentLogger } from "../../shared/logging/logger";
import { MemoryKv } from "../../shared/store/kv/memory";
import { migrations } from "../../shared/store/migrations";
import { pgSql } from "../../shared/store/sql/pg";
import type { Sql } from "../../shared/store/sql/port";
import { parseNodeEnv } from "./env";
import { chooseKv, chooseSql, openStores } from "./stores";

// The machine's PostgreSQL and Redis; the tests that use them fail (never skip) when they are down.
const DATABASE_URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

// Starting PGlite takes seconds (more on a busy machine), so tests that start one get a wider bound.
const PGLITE_TIMEOUT_MS = 90_000;

const env = (vars: Record<string, string>) => parseNodeEnv(vars);

const migrated = async (sql: Sql) =>
  (await sql.query<{ found: string | null }>("SELECT to_regclass('routeiq_migrations')::text AS found"))
    .rows[0]?.found !== null;

describe("chooseSql", () => {
  it("uses PostgreSQL when DATABASE_URL is set", () => {
    expect(chooseSql(env({ DATABASE_URL: "postgres://db:5432/app", ROUTEIQ_DATA_DIR: "/x" }))).toEqual({
      kind: "postgres",
      connectionString: "postgres://db:5432/app",
      source: "DATABASE_URL",
    });
  });

  it("uses PGlite under ROUTEIQ_DATA_DIR, ./.data by default, and when DATABASE_URL is blank", () => {
    expect(chooseSql(env({ ROUTEIQ_DATA_DIR: "/var/lib/routeiq" }))).toMatchObject({
      kind: "pglite",
      dataDir: "/var/lib/routeiq/pglite",
    });
    expect(chooseSql(env({ DATABASE_URL: "" }))).toMatchObject({
      kind: "pglite",
      dataDir: join(".data", "pglite"),
    });
  });
});

describe("chooseKv", () => {
  it("uses REDIS_URL first, with the password and TLS flag beside it", () => {
    expect(
      chooseKv(
        env({
          REDIS_URL: "rediss://cache:6380",
          REDIS_HOST: "ignored",
          REDIS_PASSWORD: "pw",
          REDIS_TLS: "true",
        }),
      ),
    ).toEqual({ kind: "redis", options: { url: "rediss://cache:6380", password: "pw", tls: true } });
  });

  it("connects to a Redis Cluster when REDIS_CLUSTER_NODES is set, over REDIS_URL", () => {
    expect(
      chooseKv(
        env({
          REDIS_CLUSTER_NODES: '[{"host":"10.0.0.1","port":"7000"}]',
          REDIS_URL: "redis://ignored:6379",
          REDIS_PASSWORD: "pw",
          REDIS_TLS: "true",
        }),
      ),
    ).toEqual({
      kind: "redis",
      options: { clusterNodes: [{ host: "10.0.0.1", port: 7000 }], password: "pw", tls: true },
    });
  });

  it("builds a connection from REDIS_HOST, port 6379 by default", () => {
    expect(chooseKv(env({ REDIS_HOST: "cache.internal" }))).toEqual({
      kind: "redis",
      options: { host: "cache.internal", port: 6379, password: undefined, tls: undefined },
    });
    expect(
      chooseKv(env({ REDIS_HOST: "cache", REDIS_PORT: "6380", REDIS_PASSWORD: "pw", REDIS_TLS: "false" })),
    ).toEqual({ kind: "redis", options: { host: "cache", port: 6380, password: "pw", tls: false } });
  });

  it("uses memory when no Redis is configured", () => {
    expect(chooseKv(env({}))).toEqual({ kind: "memory" });
    expect(chooseKv(env({ REDIS_URL: "", REDIS_HOST: "" }))).toEqual({ kind: "memory" });
  });
});

describe("openStores", () => {
  const schema = `t_${randomUUID().replaceAll("-", "").slice(0, 16)}`;
  const url = new URL(DATABASE_URL);
  url.searchParams.set("options", `-c search_path=${schema}`);
  let admin: Sql;
  let dataRoot: string;

  beforeAll(async () => {
    admin = pgSql({ connectionString: DATABASE_URL });
    await admin.query(`CREATE SCHEMA ${schema}`);
    dataRoot = await mkdtemp(join(tmpdir(), "routeiq-stores-"));
  });

  afterAll(async () => {
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.close();
    await rm(dataRoot, { recursive: true, force: true });
  });

  // These two share a directory (each PGlite start costs seconds): opened unmigrated, then migrated.
  it(
    "leaves the database alone when LITELLM_RUN_DB_MIGRATIONS=false",
    async () => {
      const stores = await openStores(
        env({ ROUTEIQ_DATA_DIR: join(dataRoot, "embedded"), LITELLM_RUN_DB_MIGRATIONS: "false" }),
        silentLogger,
      );
      try {
        expect(await migrated(stores.sql)).toBe(false);
      } finally {
        await stores.close();
      }
    },
    PGLITE_TIMEOUT_MS,
  );

  it(
    "embeds both stores when no service is configured, migrates, with nothing to check",
    async () => {
      const evicted: number[] = [];
      const stores = await openStores(
        env({ ROUTEIQ_DATA_DIR: join(dataRoot, "embedded"), ROUTEIQ_MEMORY_KV_MAX_MB: "0.01" }),
        silentLogger,
        { onKvEvict: (count) => evicted.push(count) },
      );
      try {
        expect(stores.kvShared).toBe(false);
        expect(stores.kv).toBeInstanceOf(MemoryKv);
        expect(stores.readiness).toEqual([]);
        // Bounded by ROUTEIQ_MEMORY_KV_MAX_MB (here 10 KiB), evictions reported.
        for (let i = 0; i < 100; i++) await stores.kv.set(`cache:${i}`, "x".repeat(1_000), 60_000);
        expect((stores.kv as MemoryKv).usedBytes).toBeLessThan(0.01 * 1024 * 1024 + 3_000);
        expect(evicted.length).toBeGreaterThan(80);
        const { rows } = await stores.sql.query<{ version: number }>(
          "SELECT version FROM routeiq_migrations",
        );
        expect(rows.map((row) => row.version)).toEqual(migrations.map((m) => m.version));
      } finally {
        await stores.close();
      }
    },
    PGLITE_TIMEOUT_MS,
  );

  it("uses PostgreSQL and Redis when configured, migrates, and checks both for readiness", async () => {
    const stores = await openStores(env({ DATABASE_URL: url.toString(), REDIS_URL }), silentLogger);
    try {
      expect(stores.kvShared).toBe(true);
      expect(stores.kv).not.toBeInstanceOf(MemoryKv);
      expect(await migrated(stores.sql)).toBe(true);
      const { rows } = await stores.sql.query<{ schema: string }>("SELECT current_schema() AS schema");
      expect(rows).toEqual([{ schema }]);
      expect(stores.readiness.map((check) => check.name)).toEqual(["database", "redis"]);
      for (const check of stores.readiness) await check.check(AbortSignal.timeout(2_000));
    } finally {
      await stores.close();
    }
  });

  it("warns, at start and in readiness without failing it, when Redis's eviction policy can drop limiter state", async () => {
    const raw = new Redis(REDIS_URL);
    const [, policy = "noeviction"] = (await raw.config("GET", "maxmemory-policy")) as string[];
    const warnings: string[] = [];
    const logger: Logger = {
      ...silentLogger,
      warn: (message, fields) => warnings.push(`${message}: ${fields?.warning}`),
    };
    // With no maxmemory (as on test machines) nothing is evicted either way: safe for tests running beside it.
    await raw.config("SET", "maxmemory-policy", "allkeys-lru");
    try {
      const stores = await openStores(env({ DATABASE_URL: url.toString(), REDIS_URL }), logger);
      try {
        await vi.waitFor(() => expect(warnings).toHaveLength(1));
        expect(warnings[0]).toMatch(
          /^redis can drop or refuse rate-limit state: maxmemory-policy allkeys-lru evicts any key, .*set maxmemory-policy volatile-lru/,
        );
        const report = await runReadiness(stores.readiness);
        expect(report.ready).toBe(true);
        expect(report.warnings?.redis).toMatch(/^maxmemory-policy allkeys-lru evicts any key/);
        await raw.config("SET", "maxmemory-policy", "volatile-lru");
        expect((await runReadiness(stores.readiness)).warnings).toBeUndefined();
      } finally {
        await stores.close();
      }
    } finally {
      await raw.config("SET", "maxmemory-policy", policy);
      raw.disconnect();
    }
  });

  it("reaches Redis by REDIS_HOST and REDIS_PORT", async () => {
    const { hostname, port } = new URL(REDIS_URL);
    const stores = await openStores(
      env({ DATABASE_URL: url.toString(), REDIS_HOST: hostname, REDIS_PORT: port || "6379" }),
      silentLogger,
    );
    try {
      expect(stores.readiness.map((check) => check.name)).toEqual(["database", "redis"]);
      await stores.readiness[1]?.check(AbortSignal.timeout(2_000));
    } finally {
      await stores.close();
    }
  });

  it("fails to open when the database is unreachable, naming DATABASE_URL, where it points and what to check", async () => {
    await expect(
      openStores(env({ DATABASE_URL: "postgres://postgres:db-secret@127.0.0.1:1/test" }), silentLogger),
    ).rejects.toThrow(
      "DATABASE_URL: cannot use the database at 127.0.0.1:1/test: connection refused; is PostgreSQL running there, and are the host and port right?",
    );
  });
});
