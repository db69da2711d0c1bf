import pg from "pg";

/**
 * The shared-state target: a gateway on the machine's PostgreSQL and Redis, called with a virtual
 * key that has rpm/tpm limits and a budget, so every request runs the limit and budget scripts in
 * Redis and queues a spend-log row for Postgres.
 */
export const BENCH_DATABASE_URL = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
export const BENCH_REDIS_URL = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379";

export interface BenchSchema {
  readonly url: string;
  countSpendRows(): Promise<number>;
  drop(): Promise<void>;
}

async function withClient<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: BENCH_DATABASE_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A fresh schema, so the run starts from empty tables and leaves nothing behind. */
export async function createBenchSchema(): Promise<BenchSchema> {
  const name = `bench_${Date.now().toString(36)}`;
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
    drop: () => withClient((c) => c.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`)).then(() => undefined),
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
