import { type TrafficQuery, trafficPrices, trafficRows } from "../../shared/learned/feedback-table";
import type { PricedCandidate, RoutingRow } from "../../shared/learned/train/dataset";
import { pgSql } from "../../shared/store/sql/pg";
import type { Sql } from "../../shared/store/sql/port";

async function withSql<T>(url: string, work: (sql: Sql) => Promise<T>): Promise<T> {
  const sql = pgSql({ connectionString: url, max: 1 });
  try {
    return await work(sql);
  } finally {
    await sql.close();
  }
}

/** `--spend-log DATABASE_URL`: the gateway's captured prompts with their feedback or outcomes. */
export const spendLogRows = (url: string, query: TrafficQuery): Promise<RoutingRow[]> =>
  withSql(url, (sql) => trafficRows(sql, query));

export const spendLogCandidates = (url: string, query: TrafficQuery): Promise<PricedCandidate[]> =>
  withSql(url, (sql) => trafficPrices(sql, query));
