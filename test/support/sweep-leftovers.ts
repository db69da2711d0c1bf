import pg from "pg";
import { POSTGRES_URL } from "./postgres";
import { deleteKeys, TEST_KEY_ROOT, testKeyCreatedAt } from "./redis-keys";

/**
 * Run once before the tests (vitest globalSetup): drops the schemas and Redis keys that an earlier,
 * interrupted run left behind. Only names the test helpers make are touched (`createTestSchema`'s
 * `<prefix>_<created>_<random>` and `testKeyPrefix`'s `test:<name>:<created>:…`), and only once
 * they are older than any run lasts, so a run going on elsewhere against the same services keeps
 * its own. A service that is down is left alone: the tests that need it say so themselves.
 */

const LEFTOVER_AFTER_MS = 60 * 60_000;
const SCHEMA_NAME = /^[a-z][a-z0-9_]*_([0-9a-z]{8})_[0-9a-z]{1,6}$/;
// Names made after this are plausibly ours (base 36 of ms since 1970 has 8 digits from 1973 to 2059).
const EARLIEST = Date.UTC(2025, 0, 1);

/** When createTestSchema made this schema (ms), or undefined for any other schema. */
export function schemaCreatedAt(name: string): number | undefined {
  const stamp = SCHEMA_NAME.exec(name)?.[1];
  if (stamp === undefined) return undefined;
  const created = Number.parseInt(stamp, 36);
  return created >= EARLIEST ? created : undefined;
}

export const isLeftover = (createdAt: number | undefined, now: number): boolean =>
  createdAt !== undefined && createdAt <= now && now - createdAt > LEFTOVER_AFTER_MS;

async function dropLeftoverSchemas(now: number): Promise<string[]> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    const { rows } = await client.query<{ nspname: string }>("SELECT nspname FROM pg_namespace");
    const doomed = rows.map((r) => r.nspname).filter((name) => isLeftover(schemaCreatedAt(name), now));
    for (const name of doomed) await client.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
    return doomed;
  } finally {
    await client.end();
  }
}

export async function sweepLeftovers(
  redisUrl = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379",
  now = Date.now(),
): Promise<{ schemas: string[]; keys: number }> {
  const [schemas, keys] = await Promise.allSettled([
    dropLeftoverSchemas(now),
    deleteKeys(redisUrl, `${TEST_KEY_ROOT}:*`, (key) => isLeftover(testKeyCreatedAt(key), now)),
  ]);
  return {
    schemas: schemas.status === "fulfilled" ? schemas.value : [],
    keys: keys.status === "fulfilled" ? keys.value : 0,
  };
}

export default async function setup(): Promise<void> {
  const { schemas, keys } = await sweepLeftovers();
  if (schemas.length > 0 || keys > 0) {
    console.log(
      `dropped ${schemas.length} test schema(s) and ${keys} Redis test key(s) left by earlier runs`,
    );
  }
}
