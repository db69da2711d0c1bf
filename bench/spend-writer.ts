import { silentLogger } from "../shared/logging/logger";
import { type SpendLogEntry, SpendLogWriter } from "../shared/spend/log-writer";
import { migrate } from "../shared/store/sql/migrate";
import { pgSql } from "../shared/store/sql/pg";
import { createBenchSchema } from "./shared-state";

/**
 * The spend writer's sustained throughput into PostgreSQL: `rows` entries recorded as fast as a
 * busy gateway would, by 1 and by 4 writers at once (4 replicas on one database), timed until the
 * last batch commits. Each batch does what production does: the duplicate check, the partitioned
 * insert, spend added to keys, teams and users, the daily rollups and the proxy-wide total.
 * BENCH_SPEND_ROWS=50000.
 */
export interface SpendWriterResult {
  readonly writers: number;
  readonly rows: number;
  readonly seconds: number;
  readonly rowsPerSecond: number;
}

const KEYS = 2000;
const TEAMS = 200;
const USERS = 1000;
const MODELS = 10;

function entry(i: number, now: number): SpendLogEntry {
  return {
    requestId: crypto.randomUUID(),
    keyHash: `key-${i % KEYS}`,
    teamId: `team-${i % TEAMS}`,
    userId: `user-${i % USERS}`,
    modelGroup: `model-${i % MODELS}`,
    deployment: `deployment-${i % MODELS}`,
    provider: "openai",
    status: 200,
    promptTokens: 420,
    completionTokens: 180,
    totalTokens: 600,
    spend: 0.0021,
    cacheHit: false,
    startedAt: new Date(now - 800),
    endedAt: new Date(now),
    metadata: { request_id: `chatcmpl-${i}` },
  };
}

async function run(url: string, writers: number, rows: number): Promise<SpendWriterResult> {
  const sql = pgSql({ connectionString: url, max: writers + 1 });
  try {
    const all = Array.from(
      { length: writers },
      () => new SpendLogWriter({ sql, logger: silentLogger, maxBuffered: rows + 1 }),
    );
    const started = performance.now();
    const now = Date.now();
    for (let i = 0; i < rows; i++) (all[i % writers] as SpendLogWriter).record(entry(i, now));
    const left = await Promise.all(all.map((writer) => writer.close()));
    const seconds = (performance.now() - started) / 1000;
    if (left.some((n) => n > 0)) throw new Error("spend writer bench: rows left unwritten");
    return { writers, rows, seconds, rowsPerSecond: Math.round(rows / seconds) };
  } finally {
    await sql.close();
  }
}

export async function measureSpendWriter(rows: number): Promise<SpendWriterResult[]> {
  const results: SpendWriterResult[] = [];
  for (const writers of [1, 4]) {
    const schema = await createBenchSchema();
    try {
      const sql = pgSql({ connectionString: schema.url, max: 1 });
      try {
        await migrate(sql);
        await sql.query(
          `INSERT INTO routeiq_teams (team_id) SELECT 'team-' || n FROM generate_series(0, ${TEAMS - 1}) n;
           INSERT INTO routeiq_users (user_id) SELECT 'user-' || n FROM generate_series(0, ${USERS - 1}) n;
           INSERT INTO routeiq_keys (key_hash, key_name, team_id, user_id)
             SELECT 'key-' || n, 'sk-' || n, 'team-' || (n % ${TEAMS}), 'user-' || (n % ${USERS})
               FROM generate_series(0, ${KEYS - 1}) n;`,
        );
      } finally {
        await sql.close();
      }
      results.push(await run(schema.url, writers, rows));
    } finally {
      await schema.drop();
    }
  }
  return results;
}

export function formatSpendWriter(results: readonly SpendWriterResult[]): string {
  const lines = results.map(
    (r) =>
      `  ${r.writers} writer${r.writers === 1 ? " " : "s"}  ${String(r.rowsPerSecond).padStart(7)} rows/s  (${r.rows} rows in ${r.seconds.toFixed(1)} s)`,
  );
  return [
    "spend writer into PostgreSQL (batches of 500, rows + spend + rollups in one transaction):",
    ...lines,
  ].join("\n");
}
