import pg from "pg";
import { createDatabaseIfMissing } from "../infra/local/database";
import { onCleanup } from "./cleanup";

/**
 * The shared-state target: a gateway on the machine's PostgreSQL and Redis, called with a virtual
 * key that has rpm/tpm limits and a budget, so every request runs the limit and budget scripts in
 * Redis and queues a spend-log row for Postgres. Unset, BENCH_DATABASE_URL is a database of the
 * bench's own (created when missing), never the test suite's `test`.
 */
const DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/routeiq_bench";
const GIVEN_DATABASE_URL = process.env.BENCH_DATABASE_URL || undefined;
export const BENCH_DATABASE_URL = GIVEN_DATABASE_URL ?? DEFAULT_DATABASE_URL;
export const BENCH_REDIS_URL = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379";

export interface BenchSchema {
  readonly url: string;
  countSpendRows(): Promise<number>;
  /** Drops it now rather than at exit. */
  drop(): Promise<void>;
}

async function withClient<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: BENCH_DATABASE_URL, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * A fresh schema, so the run starts from empty tables; it is dropped when the bench ends, however
 * it ends (cleanup.ts). Its name carries the pid, so a look at the database tells whose it is.
 */
export async function createBenchSchema(): Promise<BenchSchema> {
  if (GIVEN_DATABASE_URL === undefined)
    await createDatabaseIfMissing(DEFAULT_DATABASE_URL, "BENCH_DATABASE_URL");
  const name = `bench_${process.pid}_${Date.now().toString(36)}`;
  // Registered first: a signal during the CREATE must not leave it behind.
  const drop = onCleanup(`schema ${name}`, () =>
    withClient((c) => c.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`)).then(() => undefined),
  );
  await withClient((c) => c.query(`CREATE SCHEMA ${name}`));
  const url = new URL(BENCH_DATABASE_URL);
  url.searchParams.set("options", `-c search_path=${name}`);
  return {
    url: url.toString(),
    countSpendRows: () =>
      withClient(async (c) => {
        const { rows } = await c.query(`SELECT count(*)::int AS n FROM ${name}.routeiq_spend_logs`);
        return (rows[0] as { n: number }).n;
      }),
    drop,
  };
}

/** A key whose limits are far above what the bench sends: enforced on every request, never refused. */
export async function createLimitedKey(gatewayUrl: string, masterKey: string): Promise<string> {
  const response = await fetch(`${gatewayUrl}/key/generate`, {
    method: "POST",
    headers: { authorization: `Bearer ${masterKey}`, "content-type": "application/json" },
    body: JSON.stringify({
      key_alias: `bench-${Date.now()}`,
      rpm_limit: 100_000_000,
      tpm_limit: 1_000_000_000,
      max_parallel_requests: 10_000,
      max_budget: 1_000_000,
    }),
  });
  const body = (await response.json()) as { key?: string };
  if (response.status !== 200 || body.key === undefined) {
    throw new Error(`could not create the bench key: ${response.status} ${JSON.stringify(body)}`);
  }
  return body.key;
}
