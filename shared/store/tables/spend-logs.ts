import type { SqlExecutor } from "../sql/port";
import { type ColumnMap, selectList } from "./columns";

/** One served (or failed) request: who made it, which model answered, what it cost. */
export interface SpendLogRecord {
  requestId: string;
  keyHash: string | null;
  teamId: string | null;
  userId: string | null;
  /** The model name the client asked for. */
  modelGroup: string;
  /** The deployment that answered, when one did. */
  deployment: string | null;
  provider: string | null;
  /** HTTP status of the answer. */
  status: number;
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  spend: number;
  cacheHit: boolean;
  startedAt: Date;
  endedAt: Date;
  metadata: Record<string, unknown>;
}

export interface SpendLogQuery {
  keyHash?: string;
  teamId?: string;
  userId?: string;
  requestId?: string;
  /** The model name the client asked for. */
  model?: string;
  /** Answered below 400 (`success`) or not (`failure`). */
  outcome?: "success" | "failure";
  /** Inclusive. */
  startDate?: Date;
  /** Exclusive. */
  endDate?: Date;
  limit: number;
}

export interface GlobalSpend {
  total: number;
  /** Highest spend first. */
  perModel: { model: string; spend: number }[];
}

const TABLE = "routeiq_spend_logs";
const COLUMNS: ColumnMap<SpendLogRecord> = {
  requestId: "request_id",
  keyHash: "key_hash",
  teamId: "team_id",
  userId: "user_id",
  modelGroup: "model_group",
  deployment: "deployment",
  provider: "provider",
  status: "status",
  promptTokens: "prompt_tokens",
  completionTokens: "completion_tokens",
  totalTokens: "total_tokens",
  spend: "spend",
  cacheHit: "cache_hit",
  startedAt: "started_at",
  endedAt: "ended_at",
  metadata: "metadata",
};
const FIELDS = Object.keys(COLUMNS) as (keyof SpendLogRecord)[];
const COLUMN_LIST = FIELDS.map((field) => COLUMNS[field]).join(", ");
// PostgreSQL binds at most 65535 parameters per statement.
const ROWS_PER_STATEMENT = Math.floor(65_535 / FIELDS.length);

const toParam = (row: SpendLogRecord, field: keyof SpendLogRecord): unknown =>
  field === "metadata" ? JSON.stringify(row.metadata) : row[field];

/**
 * Writes a batch as one multi-row INSERT (split only past the parameter limit). A row already
 * logged (same request id and start, the partitioned table's key) is skipped, so a batch retried
 * after a lost acknowledgement writes nothing twice.
 * Returns how many rows were new.
 */
export async function insertSpendLogs(sql: SqlExecutor, rows: readonly SpendLogRecord[]): Promise<number> {
  let inserted = 0;
  for (let start = 0; start < rows.length; start += ROWS_PER_STATEMENT) {
    const chunk = rows.slice(start, start + ROWS_PER_STATEMENT);
    const params: unknown[] = [];
    const tuples = chunk.map((row) => {
      const placeholders = FIELDS.map((field) => {
        params.push(toParam(row, field));
        return `$${params.length}`;
      });
      return `(${placeholders.join(", ")})`;
    });
    const result = await sql.query(
      `INSERT INTO ${TABLE} (${COLUMN_LIST}) VALUES ${tuples.join(", ")} ON CONFLICT (request_id, started_at) DO NOTHING`,
      params,
    );
    inserted += result.rowCount;
  }
  return inserted;
}

function whereClause(filters: readonly [string, unknown][], params: unknown[]): string {
  const present = filters.filter(([, value]) => value !== undefined);
  if (present.length === 0) return "";
  const conditions = present.map(([condition, value]) => {
    params.push(value);
    return condition.replace("?", `$${params.length}`);
  });
  return ` WHERE ${conditions.join(" AND ")}`;
}

/** Matching log rows, newest first. */
export async function querySpendLogs(sql: SqlExecutor, query: SpendLogQuery): Promise<SpendLogRecord[]> {
  const params: unknown[] = [];
  const where = whereClause(
    [
      ["key_hash = ?", query.keyHash],
      ["team_id = ?", query.teamId],
      ["user_id = ?", query.userId],
      ["request_id = ?", query.requestId],
      ["model_group = ?", query.model],
      [
        query.outcome === "failure" ? "status >= ?" : "status < ?",
        query.outcome === undefined ? undefined : 400,
      ],
      ["started_at >= ?", query.startDate],
      ["started_at < ?", query.endDate],
    ],
    params,
  );
  params.push(query.limit);
  const { rows } = await sql.query<SpendLogRecord>(
    `SELECT ${selectList(COLUMNS)} FROM ${TABLE}${where} ORDER BY started_at DESC, request_id LIMIT $${params.length}`,
    params,
  );
  return rows;
}

/** Total spend, and spend per model (the name clients asked for), over requests started in the range. */
export async function globalSpend(
  sql: SqlExecutor,
  range: { startDate?: Date; endDate?: Date } = {},
): Promise<GlobalSpend> {
  const params: unknown[] = [];
  const where = whereClause(
    [
      ["started_at >= ?", range.startDate],
      ["started_at < ?", range.endDate],
    ],
    params,
  );
  const { rows } = await sql.query<{ model: string; spend: number }>(
    `SELECT model_group AS model, sum(spend)::float8 AS spend FROM ${TABLE}${where}
     GROUP BY model_group ORDER BY spend DESC, model_group`,
    params,
  );
  return { total: rows.reduce((sum, row) => sum + row.spend, 0), perModel: rows };
}
