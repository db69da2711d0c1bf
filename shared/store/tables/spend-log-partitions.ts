import type { SqlExecutor } from "../sql/port";

/**
 * The spend log's daily partitions, through the functions of migration 10 (they run as the
 * table's owner, which the maintenance job's role is not).
 */

/** Creates the partitions of `days` (UTC dates, `2026-11-29`) that are missing; returns how many it created. */
export async function createSpendLogPartitions(tx: SqlExecutor, days: readonly string[]): Promise<number> {
  const { rows } = await tx.query<{ created: number }>(
    `SELECT count(*) FILTER (WHERE routeiq_spend_log_partition_create(day))::int AS created
       FROM unnest($1::date[]) AS day`,
    [days],
  );
  return rows[0]?.created ?? 0;
}

/** Drops the partitions whose whole day started `interval` (`30 days`) or longer before the database's now. */
export async function dropSpendLogPartitionsOlderThan(tx: SqlExecutor, interval: string): Promise<string[]> {
  const { rows } = await tx.query<{ dropped: string[] }>(
    "SELECT routeiq_spend_log_partitions_drop_before(now() - $1::interval) AS dropped",
    [interval],
  );
  return rows[0]?.dropped ?? [];
}

/** The database's current UTC date and the `ahead` following ones, for the partitions to have ready. */
export async function upcomingDays(tx: SqlExecutor, ahead: number): Promise<string[]> {
  const { rows } = await tx.query<{ day: string }>(
    `SELECT to_char((now() AT TIME ZONE 'UTC')::date + n, 'YYYY-MM-DD') AS day
       FROM generate_series(0, $1::int) AS n ORDER BY n`,
    [ahead],
  );
  return rows.map((row) => row.day);
}

/** The daily partitions that exist, oldest first (names `routeiq_spend_logs_pYYYYMMDD`). */
export async function listSpendLogPartitions(sql: SqlExecutor): Promise<string[]> {
  const { rows } = await sql.query<{ name: string }>(
    `SELECT c.relname::text AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = 'routeiq_spend_logs'::regclass AND c.relname ~ '^routeiq_spend_logs_p[0-9]{8}$'
      ORDER BY c.relname`,
  );
  return rows.map((row) => row.name);
}
