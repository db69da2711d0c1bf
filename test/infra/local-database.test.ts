import pg from "pg";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createDatabaseIfMissing } from "../../infra/local/database";
import { LOCAL_DATABASE_URL, parseHaEnv } from "../../infra/local/env";
import { POSTGRES_URL } from "../support/postgres";

/** ha:local and the bench run on databases of their own, made on first use, never on the tests' `test`. */
const name = `routeiq_t_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
const url = new URL(POSTGRES_URL);
url.pathname = `/${name}`;
let admin: pg.Client;

const exists = async () =>
  (await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [name])).rowCount === 1;

beforeAll(async () => {
  admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
});
afterAll(async () => {
  await admin?.query(`DROP DATABASE IF EXISTS ${name}`);
  await admin?.end();
});

describe("the local tools' databases", () => {
  it("ha:local defaults to routeiq_local, not the test suite's database", () => {
    expect(parseHaEnv({}).DATABASE_URL).toBeUndefined();
    expect(new URL(LOCAL_DATABASE_URL).pathname).toBe("/routeiq_local");
  });

  it("the bench defaults to routeiq_bench, not the test suite's database", async () => {
    vi.stubEnv("BENCH_DATABASE_URL", undefined);
    vi.resetModules();
    try {
      const { BENCH_DATABASE_URL } = await import("../../bench/shared-state");
      expect(new URL(BENCH_DATABASE_URL).pathname).toBe("/routeiq_bench");
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it("creates a missing database once, even when two runs start together", async () => {
    expect(await exists()).toBe(false);
    await Promise.all([
      createDatabaseIfMissing(url.toString(), "DATABASE_URL"),
      createDatabaseIfMissing(url.toString(), "DATABASE_URL"),
    ]);
    expect(await exists()).toBe(true);
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    await client.end();
    await createDatabaseIfMissing(url.toString(), "DATABASE_URL");
  });

  it("names the variable to set when the server cannot be reached, and never the password", async () => {
    const unreachable = "postgresql://postgres:s3cret-pw@127.0.0.1:1/routeiq_bench";
    const error = await createDatabaseIfMissing(unreachable, "BENCH_DATABASE_URL").catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(
      /^cannot create database routeiq_bench on 127\.0\.0\.1:1 \(the default when BENCH_DATABASE_URL is unset; set BENCH_DATABASE_URL/,
    );
    expect((error as Error).message).toContain("ECONNREFUSED");
    expect((error as Error).message).not.toContain("s3cret-pw");
  });
});
