import type { SqlExecutor } from "../sql/port";

const TABLES = Object.freeze({
  key: { table: "routeiq_keys", id: "key_hash" },
  team: { table: "routeiq_teams", id: "team_id" },
  user: { table: "routeiq_users", id: "user_id" },
  proxy: { table: "routeiq_proxy_budget", id: "name" },
} as const);

/**
 * Starts a new budget window: spend back to 0, the next reset time set. Compare-and-set on the
 * old reset time, so when several replicas notice the same expired window only one resets it.
 */
export async function startBudgetWindow(
  sql: SqlExecutor,
  owner: keyof typeof TABLES,
  id: string,
  expiredResetAt: Date,
  nextResetAt: Date,
): Promise<boolean> {
  const { table, id: idColumn } = TABLES[owner];
  const { rowCount } = await sql.query(
    `UPDATE ${table} SET spend = 0, budget_reset_at = $3, updated_at = now()
     WHERE ${idColumn} = $1 AND budget_reset_at = $2`,
    [id, expiredResetAt, nextResetAt],
  );
  return rowCount > 0;
}
