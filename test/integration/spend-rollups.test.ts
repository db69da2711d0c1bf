import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../shared/logging/logger";
import { globalSpend } from "../../shared/spend/global-spend";
import { type SpendLogEntry, SpendLogWriter } from "../../shared/spend/log-writer";
import { writeSpendBatch } from "../../shared/spend/spend-sql";
import { migrate } from "../../shared/store/sql/migrate";
import { pgSql } from "../../shared/store/sql/pg";
import type { Sql, SqlExecutor } from "../../shared/store/sql/port";
import { allDailyRollups } from "../../shared/store/tables/spend-daily";
import { globalSpend as loggedSpend, type SpendLogRecord } from "../../shared/store/tables/spend-logs";
import { createTestSchema, type TestSchema } from "../support/postgres";

/**
 * The daily rollups against the machine's PostgreSQL: whatever writers race and whatever batch
 * fails halfway and is retried, the rollups hold exactly what the log holds, and reports read from
 * them give what the log would.
 */
let schema: TestSchema;
let sql: Sql;

beforeAll(async () => {
  schema = await createTestSchema("rollups");
  sql = pgSql({ connectionString: schema.url, max: 8 });
  await migrate(sql);
});

afterAll(async () => {
  await sql?.close();
  await schema?.drop();
});

const SUBJECTS = [
  { keyHash: "k1", teamId: "t1", userId: "u1" },
  { keyHash: "k2", teamId: "t1", userId: null },
  { keyHash: null, teamId: null, userId: null },
] as const;
const MODELS = ["gpt-4o", "claude", "llama"] as const;
const BASE = Date.UTC(2026, 10, 27, 22, 0, 0);

// Spend in 1/1024ths, so every sum is exact whatever order it is added in.
const entry = (i: number): SpendLogRecord => {
  const startedAt = new Date(BASE + i * 97_000);
  const subject = SUBJECTS[i % SUBJECTS.length] ?? SUBJECTS[0];
  return {
    requestId: `r-${i}`,
    ...subject,
    modelGroup: MODELS[i % MODELS.length] ?? "gpt-4o",
    deployment: null,
    provider: null,
    status: 200,
    promptTokens: i % 50,
    completionTokens: i % 7,
    totalTokens: (i % 50) + (i % 7),
    spend: (i % 13) / 1024,
    cacheHit: false,
    startedAt,
    endedAt: startedAt,
    metadata: {},
  };
};
const asEntry = (record: SpendLogRecord): SpendLogEntry => ({
  ...record,
  keyHash: record.keyHash ?? undefined,
  teamId: record.teamId ?? undefined,
  userId: record.userId ?? undefined,
  deployment: undefined,
  provider: undefined,
});
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => entry(from + k));

/** The rollups recomputed from the log itself, in the table's order. */
async function rollupsFromLogs() {
  const { rows } = await sql.query<Record<string, unknown>>(
    `SELECT d.kind, d.subject, to_char((l.started_at AT TIME ZONE 'UTC')::date, 'YYYY-MM-DD') AS day,
            count(*)::float8 AS "requests", sum(l.prompt_tokens)::float8 AS "promptTokens",
            sum(l.completion_tokens)::float8 AS "completionTokens", sum(l.total_tokens)::float8 AS "totalTokens",
            sum(l.spend)::float8 AS spend
       FROM routeiq_spend_logs l
      CROSS JOIN LATERAL (VALUES ('key', l.key_hash), ('team', l.team_id), ('user', l.user_id), ('model', l.model_group))
            AS d(kind, subject)
      WHERE d.subject IS NOT NULL
      GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
  );
  return rows;
}

describe("daily spend rollups", () => {
  it("equal the log after concurrent writers and a retried half-failed batch", async () => {
    // Eight writers (replicas) at once, over overlapping request ids, across midnight: a batch that
    // races another's rows is rolled back and retried by its writer, as in production.
    const writers = Array.from(
      { length: 8 },
      () =>
        new SpendLogWriter({ sql, logger: silentLogger, maxBatch: 80, flushIntervalMs: 10, retryBaseMs: 10 }),
    );
    writers.forEach((writer, w) => {
      for (const record of range(w * 60, w * 60 + 180)) writer.record(asEntry(record));
    });
    expect(await Promise.all(writers.map((writer) => writer.close({ timeoutMs: 60_000 })))).toEqual(
      writers.map(() => 0),
    );
    // A batch whose transaction fails after its log rows went in (the rollup statement fails):
    // all of it rolls back, and the retry writes it once.
    let failures = 0;
    const failingOnce: Sql = {
      ...sql,
      transaction: <T>(work: (tx: SqlExecutor) => Promise<T>) =>
        sql.transaction((tx) =>
          work({
            query: async (text, params) => {
              if (text.includes("routeiq_spend_daily") && failures === 0) {
                failures += 1;
                throw new Error("connection lost mid-batch");
              }
              return tx.query(text, params);
            },
          } as SqlExecutor),
        ),
    };
    const batch = range(600, 700);
    await expect(writeSpendBatch(failingOnce, batch)).rejects.toThrow("connection lost mid-batch");
    await writeSpendBatch(failingOnce, batch);
    // And a retry of a batch that had in fact committed adds nothing.
    await writeSpendBatch(sql, range(650, 720));

    const { rows } = await sql.query<{ n: number }>("SELECT count(*)::int AS n FROM routeiq_spend_logs");
    expect(rows[0]?.n).toBe(720);
    const rollups = await allDailyRollups(sql);
    expect(rollups.length).toBeGreaterThan(12);
    expect(rollups).toEqual(await rollupsFromLogs());
  });

  it("report the same spend as the log over dates, date-times and open ranges", async () => {
    const ranges = [
      {},
      { startDate: new Date(Date.UTC(2026, 10, 28)) },
      { endDate: new Date(Date.UTC(2026, 10, 28)) },
      { startDate: new Date(Date.UTC(2026, 10, 27)), endDate: new Date(Date.UTC(2026, 10, 29)) },
      // Part-days at both ends, and a range inside one day.
      { startDate: new Date(BASE + 3_600_000), endDate: new Date(BASE + 30 * 3_600_000) },
      { startDate: new Date(BASE + 5_000_000), endDate: new Date(BASE + 6_000_000) },
    ];
    for (const r of ranges) {
      const fromRollups = await globalSpend(sql, r);
      const fromLogs = await loggedSpend(sql, r);
      expect(fromRollups, JSON.stringify(r)).toEqual(fromLogs);
    }
  });
});
