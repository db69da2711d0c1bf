import { parseDuration } from "../keys/duration";
import type { Sql } from "../store/sql/port";
import { acquireLease, lockCurrentLease, releaseLease } from "../store/tables/leases";
import {
  createSpendLogPartitions,
  dropSpendLogPartitionsOlderThan,
  upcomingDays,
} from "../store/tables/spend-log-partitions";

/** The lease the maintenance runs under: the config sync's election, with a lock of its own. */
export const SPEND_LOG_MAINTENANCE_LOCK = "spend_log_maintenance";

export interface SpendLogMaintenanceOptions {
  readonly sql: Sql;
  /** This replica's lease holder id (election-settings.ts `holderId`). */
  readonly holderId: string;
  /** `general_settings.maximum_spend_logs_retention_period` (`30d`); undefined keeps every partition. */
  readonly retention: string | undefined;
  /** Days after today whose partitions are made ready (default 3: a weekend without a run is fine). */
  readonly daysAhead?: number;
  /** How long the lease is held if this run dies midway (default 300 s). */
  readonly leaseSeconds?: number;
}

export type SpendLogMaintenanceResult =
  | { readonly outcome: "skipped" }
  | { readonly outcome: "done"; readonly created: number; readonly dropped: readonly string[] };

const INTERVAL_UNITS = {
  s: "seconds",
  m: "minutes",
  h: "hours",
  d: "days",
  w: "weeks",
  mo: "months",
} as const;

/** A LiteLLM duration as a PostgreSQL interval (`30d` → `30 days`), months as calendar months. */
export function retentionInterval(retention: string): string {
  const duration = parseDuration(retention);
  if (duration === undefined) {
    throw new RangeError(
      `maximum_spend_logs_retention_period: expected a duration such as "30d", got "${retention}"`,
    );
  }
  return `${duration.amount} ${INTERVAL_UNITS[duration.unit]}`;
}

/**
 * One maintenance run: takes the lease (or skips while another replica holds it), then in one
 * transaction that first re-checks the lease, creates the partitions of today and the next days
 * and drops those past retention, and hands the lease back. A lock wait is bounded, so a run
 * that meets a long query on the log gives up and tries again next time rather than queueing the
 * inserts behind it.
 */
export async function maintainSpendLogs(
  options: SpendLogMaintenanceOptions,
): Promise<SpendLogMaintenanceResult> {
  const { sql } = options;
  const interval = options.retention === undefined ? undefined : retentionInterval(options.retention);
  const lease = await acquireLease(
    sql,
    SPEND_LOG_MAINTENANCE_LOCK,
    options.holderId,
    options.leaseSeconds ?? 300,
  );
  if (lease === undefined) return { outcome: "skipped" };
  try {
    return await sql.transaction(async (tx) => {
      if (!(await lockCurrentLease(tx, lease))) return { outcome: "skipped" } as const;
      await tx.query("SET LOCAL lock_timeout = '5s'");
      const created = await createSpendLogPartitions(tx, await upcomingDays(tx, options.daysAhead ?? 3));
      const dropped = interval === undefined ? [] : await dropSpendLogPartitionsOlderThan(tx, interval);
      return { outcome: "done", created, dropped } as const;
    });
  } finally {
    await releaseLease(sql, lease);
  }
}
