import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { globalSpend } from "../../shared/spend/global-spend";
import { writeSpendBatch } from "../../shared/spend/spend-sql";
import { migrate } from "../../shared/store/sql/migrate";
import { pgSql } from "../../shared/store/sql/pg";
import type { QueryResult, Sql, SqlExecutor } from "../../shared/store/sql/port";
import { startBudgetWindow } from "../../shared/store/tables/budget-windows";
import { getKeyByHash, getKeysByHash, keysBySpend } from "../../shared/store/tables/keys";
import { getProxyBudget } from "../../shared/store/tables/proxy-budget";
import { dailySpendReport } from "../../shared/store/tables/spend-daily";
import { querySpendLogs, type SpendLogRecord } from "../../shared/store/tables/spend-logs";
import { getTeam } from "../../shared/store/tables/teams";
import { getUser } from "../../shared/store/tables/users";
import { createTestSchema, type TestSchema } from "../support/postgres";

/**
 * Every query the request path and the spend routes run, planned by PostgreSQL against tables
 * big enough that a sequential scan would hurt (tens of thousands of log rows over several daily
 * partitions, thousands of keys): the test fails on any Seq Scan. The queries are the real ones,
 * captured from the table modules as they run, then EXPLAINed with their parameters.
 */
const KEYS = 4000;
const TEAMS = 2000;
const USERS = 2000;
const LOGS = 50_000;
const DAY_MS = 86_400_000;
const START = Date.UTC(2026, 10, 20);

let schema: TestSchema;
let sql: Sql;

beforeAll(async () => {
  schema = await createTestSchema("plans");
  sql = pgSql({ connectionString: schema.url, max: 2 });
  await migrate(sql);
  await sql.query(
    `INSERT INTO routeiq_teams (team_id) SELECT 'team-' || n FROM generate_series(0, ${TEAMS - 1}) n;
     INSERT INTO routeiq_users (user_id) SELECT 'user-' || n FROM generate_series(0, ${USERS - 1}) n;
     INSERT INTO routeiq_keys (key_hash, key_name, team_id, user_id, spend)
       SELECT 'key-' || n, 'sk-' || n, 'team-' || (n % ${TEAMS}), 'user-' || (n % ${USERS}), n / 1000.0
         FROM generate_series(0, ${KEYS - 1}) n;`,
  );
  await sql.query(
    `SELECT routeiq_spend_log_partition_create(('2026-11-20'::date + n)) FROM generate_series(0, 6) n`,
  );
  const rows: SpendLogRecord[] = Array.from({ length: LOGS }, (_, i) => {
    const startedAt = new Date(START + Math.floor((i * 7 * DAY_MS) / LOGS));
    return {
      requestId: `req-${i}`,
      keyHash: `key-${i % KEYS}`,
      teamId: `team-${i % TEAMS}`,
      userId: `user-${i % USERS}`,
      modelGroup: `model-${i % 20}`,
      deployment: null,
      provider: null,
      status: 200,
      promptTokens: 10,
      completionTokens: 10,
      totalTokens: 20,
      spend: 0.001,
      cacheHit: false,
      startedAt,
      endedAt: startedAt,
      metadata: {},
    };
  });
  for (let i = 0; i < rows.length; i += 3000) await writeSpendBatch(sql, rows.slice(i, i + 3000));
  await sql.query("ANALYZE");
}, 300_000);

afterAll(async () => {
  await sql?.close();
  await schema?.drop();
});

interface Captured {
  readonly text: string;
  readonly params: readonly unknown[];
}

/** Runs `work` against the database, recording each statement it sends. */
async function captured(work: (sql: Sql) => Promise<unknown>): Promise<Captured[]> {
  const seen: Captured[] = [];
  const recording = (target: SqlExecutor): SqlExecutor => ({
    query<Row>(text: string, params: readonly unknown[] = []): Promise<QueryResult<Row>> {
      seen.push({ text, params });
      return target.query<Row>(text, params);
    },
  });
  await work({ ...sql, ...recording(sql), transaction: (fn) => sql.transaction((tx) => fn(recording(tx))) });
  return seen;
}

interface PlanNode {
  readonly "Node Type": string;
  readonly "Relation Name"?: string;
  readonly Plans?: readonly PlanNode[];
}

const nodes = (plan: PlanNode): PlanNode[] => [plan, ...(plan.Plans ?? []).flatMap(nodes)];

// Below this a sequential scan is as cheap as an index (today's still-empty partitions, the
// proxy budget's one row), and PostgreSQL rightly prefers it.
const ENOUGH_ROWS = 1000;

/** The Seq Scans of tables with enough rows to matter in a statement's plan, by table name. */
async function seqScans(statement: Captured): Promise<string[]> {
  const { rows } = await sql.query<{ "QUERY PLAN": [{ Plan: PlanNode }] }>(
    `EXPLAIN (FORMAT JSON) ${statement.text}`,
    statement.params,
  );
  const plan = rows[0]?.["QUERY PLAN"][0].Plan as PlanNode;
  const scanned = nodes(plan)
    .filter((node) => node["Node Type"] === "Seq Scan")
    .map((node) => node["Relation Name"] ?? "?");
  const { rows: sizes } = await sql.query<{ name: string; tuples: number }>(
    "SELECT relname::text AS name, reltuples::float8 AS tuples FROM pg_class WHERE relname = ANY($1::text[])",
    [scanned],
  );
  return scanned.filter(
    (name) => (sizes.find((size) => size.name === name)?.tuples ?? ENOUGH_ROWS) >= ENOUGH_ROWS,
  );
}

const day = (n: number) => new Date(START + n * DAY_MS);
const newRow = (i: number): SpendLogRecord => ({
  requestId: `new-${i}`,
  keyHash: `key-${i}`,
  teamId: `team-${i}`,
  userId: `user-${i}`,
  modelGroup: "model-1",
  deployment: null,
  provider: null,
  status: 200,
  promptTokens: 1,
  completionTokens: 1,
  totalTokens: 2,
  spend: 0.5,
  cacheHit: false,
  startedAt: new Date(day(3).getTime() + i * 1000),
  endedAt: new Date(day(3).getTime() + i * 1000),
  metadata: {},
});

const QUERIES: [string, (sql: Sql) => Promise<unknown>][] = [
  // The request path: a key and its team and user looked up, budget windows rolled.
  ["key lookup", (s) => getKeyByHash(s, "key-17")],
  ["keys lookup", (s) => getKeysByHash(s, ["key-17", "key-18"])],
  ["team lookup", (s) => getTeam(s, "team-3")],
  ["user lookup", (s) => getUser(s, "user-3")],
  ["budget window", (s) => startBudgetWindow(s, "key", "key-17", day(0), day(30))],
  ["proxy budget", (s) => getProxyBudget(s)],
  // The spend writer's batch: duplicates found, rows inserted, spend and rollups added.
  [
    "spend batch",
    (s) =>
      writeSpendBatch(
        s,
        Array.from({ length: 50 }, (_, i) => newRow(i)),
      ),
  ],
  // The spend routes.
  ["/spend/logs by key", (s) => querySpendLogs(s, { keyHash: "key-17", limit: 100 })],
  ["/spend/logs by team", (s) => querySpendLogs(s, { teamId: "team-3", limit: 100 })],
  ["/spend/logs by user", (s) => querySpendLogs(s, { userId: "user-3", limit: 100 })],
  ["/spend/logs by request", (s) => querySpendLogs(s, { requestId: "req-77", limit: 100 })],
  ["/spend/logs by day", (s) => querySpendLogs(s, { startDate: day(2), endDate: day(3), limit: 100 })],
  ["/spend/logs newest", (s) => querySpendLogs(s, { limit: 100 })],
  ["/spend/keys", (s) => keysBySpend(s, 10)],
  [
    "/spend/report per key",
    (s) => dailySpendReport(s, { kind: "key", period: "week", fromDay: "2026-11-21", toDay: "2026-11-24" }),
  ],
  ["/global/spend in days", (s) => globalSpend(s, { startDate: day(1), endDate: day(4) })],
  [
    // The part-days at the ends come from the log: the hour before and the hour after whole days.
    "/global/spend with part-days",
    (s) =>
      globalSpend(s, {
        startDate: new Date(day(2).getTime() - 3_600_000),
        endDate: new Date(day(4).getTime() + 3_600_000),
      }),
  ],
];

describe("query plans", () => {
  it.each(QUERIES)("%s uses indexes only", async (_name, work) => {
    const statements = (await captured(work)).filter((s) => !/^\s*(BEGIN|COMMIT|ROLLBACK)/i.test(s.text));
    expect(statements.length).toBeGreaterThan(0);
    for (const statement of statements) {
      expect(await seqScans(statement), `${statement.text} ${JSON.stringify(statement.params)}`).toEqual([]);
    }
  });
});
