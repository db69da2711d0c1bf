import type { Sql, SqlExecutor } from "../store/sql/port";
import { addProxySpend } from "../store/tables/proxy-budget";
import { addDailyRollups } from "../store/tables/spend-daily";
import { insertSpendLogs, type SpendLogRecord } from "../store/tables/spend-logs";

const OWNERS = Object.freeze([
  { table: "routeiq_keys", id: "key_hash", of: (row: SpendLogRecord) => row.keyHash },
  { table: "routeiq_teams", id: "team_id", of: (row: SpendLogRecord) => row.teamId },
  { table: "routeiq_users", id: "user_id", of: (row: SpendLogRecord) => row.userId },
] as const);

// The batch's time span lets PostgreSQL look only in the partitions of the days it covers.
async function loggedAlready(tx: SqlExecutor, rows: readonly SpendLogRecord[]): Promise<Set<string>> {
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const row of rows) {
    first = Math.min(first, row.startedAt.getTime());
    last = Math.max(last, row.startedAt.getTime());
  }
  const { rows: logged } = await tx.query<{ request_id: string }>(
    `SELECT request_id FROM routeiq_spend_logs
      WHERE request_id = ANY($1::text[]) AND started_at >= $2 AND started_at <= $3`,
    [rows.map((row) => row.requestId), new Date(first), new Date(last)],
  );
  return new Set(logged.map((row) => row.request_id));
}

function newRows(rows: readonly SpendLogRecord[], logged: Set<string>): SpendLogRecord[] {
  const seen = new Set(logged);
  return rows.filter((row) => {
    if (seen.has(row.requestId)) return false;
    seen.add(row.requestId);
    return true;
  });
}

/**
 * One UPDATE per table for the whole batch rather than one per id: a batch of 500 requests from
 * many keys stays a handful of round trips while the row locks are held. Ids are sorted so that
 * replicas flushing at once tend to lock shared rows in the same order; a deadlock that slips
 * through aborts one transaction, whose batch is simply retried. The proxy-wide total comes last:
 * every replica's batch updates that one row, so it is held for the shortest time.
 */
async function addSpend(tx: SqlExecutor, rows: readonly SpendLogRecord[]): Promise<void> {
  for (const owner of OWNERS) {
    const totals = new Map<string, number>();
    for (const row of rows) {
      const id = owner.of(row);
      if (id !== null && row.spend !== 0) totals.set(id, (totals.get(id) ?? 0) + row.spend);
    }
    if (totals.size === 0) continue;
    const ids = [...totals.keys()].sort();
    await tx.query(
      `UPDATE ${owner.table} AS t SET spend = t.spend + d.amount
       FROM unnest($1::text[], $2::float8[]) AS d(id, amount) WHERE t.${owner.id} = d.id`,
      [ids, ids.map((id) => totals.get(id))],
    );
  }
  const total = rows.reduce((sum, row) => sum + row.spend, 0);
  if (total !== 0) await addProxySpend(tx, total);
}

export class SpendBatchRaced extends Error {
  constructor() {
    super("spend log rows were logged concurrently; the batch will be retried");
    this.name = "SpendBatchRaced";
  }
}

/**
 * Writes a batch in one transaction: the log rows not yet logged, their spend added to their
 * key, team and user and to their daily rollups (spend-daily.ts), and to the proxy-wide total (whoever made the request, the master key
 * included). Spend is added only for rows this transaction inserts, so a batch retried after an
 * ambiguous failure (committed, but the acknowledgement lost) adds nothing twice: its rows are
 * found already logged. A request id repeated within the batch counts once.
 */
export function writeSpendBatch(sql: Sql, rows: readonly SpendLogRecord[]): Promise<void> {
  return sql.transaction(async (tx) => {
    if (rows.length === 0) return;
    const logged = await loggedAlready(tx, rows);
    const fresh = newRows(rows, logged);
    if (fresh.length === 0) return;
    // Fewer inserted than expected means another transaction (the lost attempt itself, still
    // committing) logged some meanwhile: roll back and let the retry see its rows.
    if ((await insertSpendLogs(tx, fresh)) !== fresh.length) throw new SpendBatchRaced();
    await addSpend(tx, fresh);
    await addDailyRollups(tx, fresh);
  });
}
