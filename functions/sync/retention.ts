import { type Env, loadConfig } from "../../shared/config/load";
import type { Sql } from "../../shared/store/sql/port";
import { latestRevision } from "../../shared/store/tables/config-revisions";

/**
 * `maximum_spend_logs_retention_period` of the latest published config: what the gateways serve,
 * which a sync process (that never loads a config of its own) maintains the spend log by.
 * Undefined, keeping everything, when nothing is published yet or it does not load.
 */
export async function latestRetention(sql: Sql, lockName: string, env: Env): Promise<string | undefined> {
  const latest = await latestRevision(sql, lockName);
  if (latest === undefined) return undefined;
  try {
    return loadConfig(latest.body, env, `revision ${latest.revision}`).config.spendLogRetention;
  } catch {
    return undefined;
  }
}
