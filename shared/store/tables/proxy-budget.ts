import type { SqlExecutor } from "../sql/port";

/** The proxy-wide budget's state: spend in the current window, and when the window ends (null: never). */
export interface ProxyBudgetRecord {
  spend: number;
  budgetResetAt: Date | null;
}

const TABLE = "routeiq_proxy_budget";
/** The one row: the migration creates it, and nothing deletes it. */
export const PROXY_BUDGET_ID = "proxy";

export async function getProxyBudget(sql: SqlExecutor): Promise<ProxyBudgetRecord> {
  const { rows } = await sql.query<ProxyBudgetRecord>(
    `SELECT spend, budget_reset_at AS "budgetResetAt" FROM ${TABLE} WHERE name = $1`,
    [PROXY_BUDGET_ID],
  );
  const row = rows[0];
  if (row === undefined) throw new Error(`${TABLE} has no "${PROXY_BUDGET_ID}" row: run \`npm run migrate\``);
  return row;
}

/** Adds spend to the current window (what the spend writer calls per batch). */
export async function addProxySpend(sql: SqlExecutor, amount: number): Promise<void> {
  await sql.query(`UPDATE ${TABLE} SET spend = spend + $2 WHERE name = $1`, [PROXY_BUDGET_ID, amount]);
}

/**
 * Gives a budget that had no window its first one, starting now with spend 0. Compare-and-set on
 * the absent window, so of several replicas only one starts it.
 */
export async function startFirstProxyWindow(sql: SqlExecutor, resetAt: Date): Promise<boolean> {
  const { rowCount } = await sql.query(
    `UPDATE ${TABLE} SET spend = 0, budget_reset_at = $2, updated_at = now()
     WHERE name = $1 AND budget_reset_at IS NULL`,
    [PROXY_BUDGET_ID, resetAt],
  );
  return rowCount > 0;
}
