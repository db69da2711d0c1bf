import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { type PgWsRelay, startPgWsRelay } from "../../infra/local/pg-ws-relay";
import { maintainSpendLogs, SPEND_LOG_MAINTENANCE_LOCK } from "../../shared/spend/log-maintenance";
import { writeSpendBatch } from "../../shared/spend/spend-sql";
import { migrations } from "../../shared/store/migrations";
import { migrate } from "../../shared/store/sql/migrate";
import { neonSql } from "../../shared/store/sql/neon";
import { pgSql } from "../../shared/store/sql/pg";
import { pgliteSql } from "../../shared/store/sql/pglite";
import type { Sql } from "../../shared/store/sql/port";
import { acquireLease, releaseLease } from "../../shared/store/tables/leases";
import { allDailyRollups } from "../../shared/store/tables/spend-daily";
import {
  createSpendLogPartitions,
  listSpendLogPartitions,
} from "../../shared/store/tables/spend-log-partitions";
import type { SpendLogRecord } from "../../shared/store/tables/spend-logs";
import { POSTGRES_URL } from "../support/postgres";

/**
 * The spend log partitioned by day, on every SQL adapter the gateway runs on: the migration
 * converting a table that already holds rows, the maintenance job making partitions ahead and
 * dropping those past retention under its lease, and rows without a partition kept, never lost.
 */
const PGLITE_TIMEOUT_MS = 90_000;
const SCHEMA = `parts_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
const DAY_MS = 86_400_000;

const inSchema = (schema: string) => {
  const url = new URL(POSTGRES_URL);
  url.searchParams.set("options", `-c search_path=${schema}`);
  return url.toString();
};
const dayName = (ms: number) =>
  `routeiq_spend_logs_p${new Date(ms).toISOString().slice(0, 10).replaceAll("-", "")}`;
const today = Math.floor(Date.now() / DAY_MS) * DAY_MS;

let admin: Sql;
let relay: PgWsRelay;
const SCHEMAS = [`${SCHEMA}_pg`, `${SCHEMA}_neon`];

beforeAll(async () => {
  admin = pgSql({ connectionString: POSTGRES_URL });
  for (const schema of SCHEMAS) await admin.query(`CREATE SCHEMA ${schema}`);
  const { hostname, port } = new URL(POSTGRES_URL);
  relay = await startPgWsRelay({ host: hostname, port: Number(port || 5432) });
});

afterAll(async () => {
  await relay?.close();
  for (const schema of SCHEMAS) await admin?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin?.close();
});

const row = (requestId: string, startedAt: Date, spend: number): SpendLogRecord => ({
  requestId,
  keyHash: "key-a",
  teamId: "team-a",
  userId: "user-a",
  modelGroup: "gpt-4o",
  deployment: "openai/gpt-4o",
  provider: "openai",
  status: 200,
  promptTokens: 10,
  completionTokens: 5,
  totalTokens: 15,
  spend,
  cacheHit: false,
  startedAt,
  endedAt: new Date(startedAt.getTime() + 100),
  metadata: { note: requestId },
});

// Before migration 10 the table had these columns, in this order.
const insertUnpartitioned = (sql: Sql, rows: readonly SpendLogRecord[]) =>
  Promise.all(
    rows.map((r) =>
      sql.query(
        `INSERT INTO routeiq_spend_logs (request_id, key_hash, team_id, user_id, model_group, deployment, provider,
           status, prompt_tokens, completion_tokens, total_tokens, spend, cache_hit, started_at, ended_at, metadata)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
        [
          r.requestId,
          r.keyHash,
          r.teamId,
          r.userId,
          r.modelGroup,
          r.deployment,
          r.provider,
          r.status,
          r.promptTokens,
          r.completionTokens,
          r.totalTokens,
          r.spend,
          r.cacheHit,
          r.startedAt,
          r.endedAt,
          JSON.stringify(r.metadata),
        ],
      ),
    ),
  );

const partitionOf = async (sql: Sql) =>
  (
    await sql.query<{ request_id: string; part: string }>(
      "SELECT request_id, tableoid::regclass::text AS part FROM routeiq_spend_logs ORDER BY request_id",
    )
  ).rows;

const adapters: [string, () => Promise<Sql>][] = [
  ["postgres", async () => pgSql({ connectionString: inSchema(`${SCHEMA}_pg`), max: 3 })],
  ["pglite", () => pgliteSql({})],
  [
    "neon",
    async () =>
      neonSql({ connectionString: inSchema(`${SCHEMA}_neon`), wsProxy: relay.url, webSocket: WebSocket }),
  ],
];

describe.each(adapters)("partitioned spend log on %s", (_name, open) => {
  let sql: Sql;
  const old1 = new Date(Date.UTC(2025, 0, 1, 23, 59, 59));
  const old2 = new Date(Date.UTC(2025, 0, 2, 0, 0, 0));
  const now = new Date();

  beforeAll(async () => {
    sql = await open();
    await migrate(
      sql,
      migrations.filter((m) => m.version < 10),
    );
    await insertUnpartitioned(sql, [
      row("req-1", old1, 0.5),
      row("req-2", old2, 0.25),
      row("req-3", now, 0.125),
    ]);
    expect((await migrate(sql)).applied).toEqual(
      migrations.filter((m) => m.version >= 10).map((m) => m.version),
    );
  }, PGLITE_TIMEOUT_MS);

  afterAll(async () => {
    await sql?.close();
  });

  it("converts the table without losing a row, each row in its day's partition", async () => {
    expect(await partitionOf(sql)).toEqual([
      { request_id: "req-1", part: dayName(old1.getTime()) },
      { request_id: "req-2", part: dayName(old2.getTime()) },
      { request_id: "req-3", part: dayName(now.getTime()) },
    ]);
    const { rows } = await sql.query<{ metadata: unknown; spend: number }>(
      "SELECT metadata, spend FROM routeiq_spend_logs WHERE request_id = 'req-1'",
    );
    expect(rows).toEqual([{ metadata: { note: "req-1" }, spend: 0.5 }]);
    // The rollups start from the rows already logged.
    const rollups = await allDailyRollups(sql);
    expect(rollups.filter((r) => r.kind === "model")).toEqual([
      {
        kind: "model",
        subject: "gpt-4o",
        day: "2025-01-01",
        requests: 1,
        promptTokens: 10,
        completionTokens: 5,
        totalTokens: 15,
        spend: 0.5,
      },
      {
        kind: "model",
        subject: "gpt-4o",
        day: "2025-01-02",
        requests: 1,
        promptTokens: 10,
        completionTokens: 5,
        totalTokens: 15,
        spend: 0.25,
      },
      {
        kind: "model",
        subject: "gpt-4o",
        day: new Date(now).toISOString().slice(0, 10),
        requests: 1,
        promptTokens: 10,
        completionTokens: 5,
        totalTokens: 15,
        spend: 0.125,
      },
    ]);
  });

  it("keeps a row whose day has no partition yet, and moves it in when the partition is made", async () => {
    const later = new Date(today + 20 * DAY_MS + 3_600_000);
    await writeSpendBatch(sql, [row("req-later", later, 1)]);
    expect((await partitionOf(sql)).find((r) => r.request_id === "req-later")?.part).toBe(
      "routeiq_spend_logs_default",
    );
    // A retry of the same row is still recognised while it waits there.
    await writeSpendBatch(sql, [row("req-later", later, 1)]);
    expect(await createSpendLogPartitions(sql, [later.toISOString().slice(0, 10)])).toBe(1);
    expect((await partitionOf(sql)).filter((r) => r.request_id === "req-later")).toEqual([
      { request_id: "req-later", part: dayName(later.getTime()) },
    ]);
  });

  it("makes partitions ahead and drops those past retention under its own lease", async () => {
    const other = await acquireLease(sql, SPEND_LOG_MAINTENANCE_LOCK, "other-replica", 60);
    expect(await maintainSpendLogs({ sql, holderId: "me", retention: "30d" })).toEqual({
      outcome: "skipped",
    });
    expect(await listSpendLogPartitions(sql)).toContain(dayName(old1.getTime()));
    if (other !== undefined) await releaseLease(sql, other);

    const result = await maintainSpendLogs({ sql, holderId: "me", retention: "30d", daysAhead: 5 });
    expect(result).toEqual({
      outcome: "done",
      // The migration made today and the two days after; five ahead needs three more.
      created: 3,
      dropped: [dayName(old1.getTime()), dayName(old2.getTime())],
    });
    const partitions = await listSpendLogPartitions(sql);
    for (let n = 0; n <= 5; n++) expect(partitions).toContain(dayName(today + n * DAY_MS));
    expect(partitions).not.toContain(dayName(old1.getTime()));
    expect((await partitionOf(sql)).map((r) => r.request_id)).toEqual(["req-3", "req-later"]);
    // Reports keep the history the dropped rows made.
    expect((await allDailyRollups(sql)).filter((r) => r.kind === "team").map((r) => r.day)).toContain(
      "2025-01-01",
    );
    // Nothing left to do: a second run changes nothing.
    expect(await maintainSpendLogs({ sql, holderId: "me", retention: "30d", daysAhead: 5 })).toEqual({
      outcome: "done",
      created: 0,
      dropped: [],
    });
  });
});
