import type { SqlExecutor } from "../sql/port";
import type { SpendLogRecord } from "./spend-logs";

export type RollupKind = "key" | "team" | "user" | "model";

/** One subject's requests, tokens and spend over one UTC day. */
export interface DailyRollup {
  readonly kind: RollupKind;
  readonly subject: string;
  /** `2026-11-29`, UTC. */
  readonly day: string;
  requests: number;
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  spend: number;
}

const TABLE = "routeiq_spend_daily";

const subjectsOf = (row: SpendLogRecord): [RollupKind, string | null][] => [
  ["key", row.keyHash],
  ["team", row.teamId],
  ["user", row.userId],
  ["model", row.modelGroup],
];

/** What `rows` add to each subject's day, sorted by the table's key. */
export function rollupsOf(rows: readonly SpendLogRecord[]): DailyRollup[] {
  const byKey = new Map<string, DailyRollup>();
  for (const row of rows) {
    const day = row.startedAt.toISOString().slice(0, 10);
    for (const [kind, subject] of subjectsOf(row)) {
      if (subject === null) continue;
      const id = `${kind}\u0000${subject}\u0000${day}`;
      let rollup = byKey.get(id);
      if (rollup === undefined) {
        rollup = {
          kind,
          subject,
          day,
          requests: 0,
          promptTokens: 0,
          completionTokens: 0,
          totalTokens: 0,
          spend: 0,
        };
        byKey.set(id, rollup);
      }
      rollup.requests += 1;
      rollup.promptTokens += row.promptTokens;
      rollup.completionTokens += row.completionTokens;
      rollup.totalTokens += row.totalTokens;
      rollup.spend += row.spend;
    }
  }
  return [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, rollup]) => rollup);
}

/**
 * Adds `rows` to their subjects' days in one statement. Aggregated first, since one statement may
 * not update a row twice; sorted, so concurrent writers lock shared rows in the same order.
 */
export async function addDailyRollups(tx: SqlExecutor, rows: readonly SpendLogRecord[]): Promise<void> {
  const rollups = rollupsOf(rows);
  if (rollups.length === 0) return;
  const column = <T>(pick: (rollup: DailyRollup) => T) => rollups.map(pick);
  await tx.query(
    `INSERT INTO ${TABLE} AS t (kind, subject, day, requests, prompt_tokens, completion_tokens, total_tokens, spend)
     SELECT * FROM unnest($1::text[], $2::text[], $3::date[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[], $8::float8[])
     ON CONFLICT (kind, subject, day) DO UPDATE SET
       requests = t.requests + EXCLUDED.requests,
       prompt_tokens = t.prompt_tokens + EXCLUDED.prompt_tokens,
       completion_tokens = t.completion_tokens + EXCLUDED.completion_tokens,
       total_tokens = t.total_tokens + EXCLUDED.total_tokens,
       spend = t.spend + EXCLUDED.spend`,
    [
      column((r) => r.kind),
      column((r) => r.subject),
      column((r) => r.day),
      column((r) => r.requests),
      column((r) => r.promptTokens),
      column((r) => r.completionTokens),
      column((r) => r.totalTokens),
      column((r) => r.spend),
    ],
  );
}

/** Spend per model over the UTC days `fromDay` (inclusive) to `toDay` (exclusive), either open. */
export async function dailySpendByModel(
  sql: SqlExecutor,
  range: { fromDay?: string; toDay?: string },
): Promise<{ model: string; spend: number }[]> {
  const params: unknown[] = [];
  const bound = (condition: string, day: string | undefined) => {
    if (day === undefined) return "";
    params.push(day);
    return ` AND day ${condition} $${params.length}::date`;
  };
  const where = `kind = 'model'${bound(">=", range.fromDay)}${bound("<", range.toDay)}`;
  const { rows } = await sql.query<{ model: string; spend: number }>(
    `SELECT subject AS model, sum(spend)::float8 AS spend FROM ${TABLE} WHERE ${where} GROUP BY subject`,
    params,
  );
  return rows;
}

export type SpendPeriod = "day" | "week" | "month";

/** Spend and tokens of one subject (a key hash, team, user or model) in one period. */
export interface SpendReportRow {
  /** Start of the period (UTC; weeks start on Monday). */
  readonly period: Date;
  readonly group: string;
  readonly spend: number;
  readonly totalTokens: number;
  readonly requests: number;
}

/**
 * Spend, tokens and requests per period and subject of one kind over the UTC days `fromDay`
 * (inclusive) to `toDay` (exclusive), oldest first: a row per subject and day is read, never a log.
 */
export async function dailySpendReport(
  sql: SqlExecutor,
  query: { kind: RollupKind; period: SpendPeriod; fromDay: string; toDay: string },
): Promise<SpendReportRow[]> {
  const { rows } = await sql.query<SpendReportRow>(
    `SELECT date_trunc($2, day::timestamp) AT TIME ZONE 'UTC' AS period, subject AS "group",
            sum(spend)::float8 AS spend, sum(total_tokens)::float8 AS "totalTokens",
            sum(requests)::float8 AS requests
       FROM ${TABLE}
      WHERE kind = $1 AND day >= $3::date AND day < $4::date
      GROUP BY 1, 2 ORDER BY 1, spend DESC, 2`,
    [query.kind, query.period, query.fromDay, query.toDay],
  );
  return rows.map((row) => ({ ...row, period: new Date(row.period) }));
}

/** Every rollup row, in key order: what an operator compares with the logs. */
export async function allDailyRollups(sql: SqlExecutor): Promise<DailyRollup[]> {
  const { rows } = await sql.query<DailyRollup>(
    `SELECT kind, subject, to_char(day, 'YYYY-MM-DD') AS day, requests::float8 AS "requests",
            prompt_tokens::float8 AS "promptTokens", completion_tokens::float8 AS "completionTokens",
            total_tokens::float8 AS "totalTokens", spend
       FROM ${TABLE} ORDER BY kind, subject, day`,
  );
  return rows;
}
