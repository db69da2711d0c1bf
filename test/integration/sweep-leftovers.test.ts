import { Redis } from "ioredis";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { POSTGRES_URL } from "../support/postgres";
import { deleteTestKeys, testKeyCreatedAt, testKeyPrefix } from "../support/redis-keys";
import { REDIS_URL, requireRedis } from "../support/replicas";
import { isLeftover, schemaCreatedAt, sweepLeftovers } from "../support/sweep-leftovers";

const HOUR = 3_600_000;
const stamp = (ms: number) => ms.toString(36);

async function schemas(): Promise<string[]> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    const { rows } = await client.query<{ nspname: string }>("SELECT nspname FROM pg_namespace");
    return rows.map((r) => r.nspname);
  } finally {
    await client.end();
  }
}

async function createSchema(name: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA ${name}`);
    await client.query(`CREATE TABLE ${name}.t (id int)`);
  } finally {
    await client.end();
  }
}

describe("names of test leftovers", () => {
  it("reads the creation time createTestSchema and testKeyPrefix put in a name, and nothing else", () => {
    const at = Date.UTC(2026, 10, 29, 12);
    expect(schemaCreatedAt(`lease_${stamp(at)}_k3x9a1`)).toBe(at);
    expect(schemaCreatedAt(`ha_local_${stamp(at)}_a`)).toBe(at);
    expect(schemaCreatedAt("public")).toBeUndefined();
    expect(schemaCreatedAt("lambda")).toBeUndefined();
    expect(schemaCreatedAt(`lease_${stamp(at)}_toolong1`)).toBeUndefined();
    // Eight base-36 digits that decode to before 2025 are someone else's name, not a stamp.
    expect(schemaCreatedAt("app_abcdefgh_x1")).toBeUndefined();
    expect(testKeyCreatedAt(`test:limiter:${stamp(at)}:ab12cd:lim:key:k1:s`)).toBe(at);
    expect(testKeyCreatedAt(`routeiq:lim:key:${stamp(at)}`)).toBeUndefined();
    expect(testKeyCreatedAt("test:limiter")).toBeUndefined();
  });

  it("counts as left over only past an hour, never a name from the future", () => {
    const now = Date.UTC(2026, 10, 29, 12);
    expect(isLeftover(now - HOUR - 1, now)).toBe(true);
    expect(isLeftover(now - HOUR, now)).toBe(false);
    expect(isLeftover(now - 5 * 60_000, now)).toBe(false);
    expect(isLeftover(now + HOUR * 2, now)).toBe(false);
    expect(isLeftover(undefined, now)).toBe(false);
  });
});

describe("sweeping an interrupted run's leftovers", () => {
  const now = Date.now();
  const old = `sweep_${stamp(now - 2 * HOUR)}_${Math.random().toString(36).slice(2, 8)}`;
  const fresh = `sweep_${stamp(now - 60_000)}_${Math.random().toString(36).slice(2, 8)}`;
  const oldKeys = `test:sweep:${stamp(now - 2 * HOUR)}:${Math.random().toString(36).slice(2, 8)}`;
  const freshKeys = testKeyPrefix("sweep");
  let redis: Redis | undefined;

  afterAll(async () => {
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${old} CASCADE; DROP SCHEMA IF EXISTS ${fresh} CASCADE`);
    await client.end();
    await deleteTestKeys(REDIS_URL, oldKeys);
    await deleteTestKeys(REDIS_URL, freshKeys);
    redis?.disconnect();
  });

  it("drops schemas and Redis test keys older than an hour, and keeps those of a run going on now", async () => {
    await requireRedis();
    redis = new Redis(REDIS_URL);
    await createSchema(old);
    await createSchema(fresh);
    await redis.set(`${oldKeys}:lim:key:a:s`, "1");
    await redis.hset(`${oldKeys}:lim:key:a:fr`, "r", "0 0");
    await redis.set(`${freshKeys}:lim:key:a:s`, "1");

    const swept = await sweepLeftovers(REDIS_URL, now);

    expect(swept.schemas).toContain(old);
    expect(swept.schemas).not.toContain(fresh);
    expect(swept.keys).toBeGreaterThanOrEqual(2);
    const left = await schemas();
    expect(left).not.toContain(old);
    expect(left).toContain(fresh);
    expect(left).toContain("public");
    expect(await redis.exists(`${oldKeys}:lim:key:a:s`, `${oldKeys}:lim:key:a:fr`)).toBe(0);
    expect(await redis.get(`${freshKeys}:lim:key:a:s`)).toBe("1");
  });
});
