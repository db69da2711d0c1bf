import type { Sql } from "../store/sql/port";
import type { PricedCandidate, RoutingRow } from "./train/dataset";

export interface FeedbackRow {
  readonly requestId: string;
  readonly keyHash: string | null;
  readonly modelGroup: string;
  readonly deployment: string;
  readonly router: string;
  readonly score: number;
}

/** Records feedback on a request; false when the request already had some (the first one stands). */
export async function insertFeedback(sql: Sql, row: FeedbackRow): Promise<boolean> {
  const { rowCount } = await sql.query(
    `INSERT INTO routeiq_router_feedback (request_id, key_hash, model_group, deployment, router, score)
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (request_id) DO NOTHING`,
    [row.requestId, row.keyHash, row.modelGroup, row.deployment, row.router, row.score],
  );
  return rowCount === 1;
}

export interface TrafficQuery {
  readonly group: string;
  /** ISO date: only requests started since. */
  readonly since?: string;
  /** Requests without feedback count too, scored 1 when answered and 0 when they failed. */
  readonly outcomes: boolean;
  readonly limit?: number;
}

/**
 * Training rows from the gateway's own traffic: the prompts the spend log captured for `group`
 * (`learned_routing` with `capture_prompts: true`), each scored for the deployment that answered
 * it by the feedback given on it, or by its outcome when `outcomes` is set.
 */
export async function trafficRows(sql: Sql, query: TrafficQuery): Promise<RoutingRow[]> {
  const { rows } = await sql.query<{
    prompt: string;
    deployment: string;
    status: number;
    score: number | null;
  }>(
    `SELECT s.metadata->'routing'->>'prompt' AS prompt, s.deployment, s.status, f.score
     FROM routeiq_spend_logs s
     LEFT JOIN routeiq_router_feedback f
       ON f.request_id = s.metadata->>'request_id' AND f.model_group = s.model_group
          AND f.key_hash IS NOT DISTINCT FROM s.key_hash
     WHERE s.model_group = $1 AND s.started_at >= $2 AND s.deployment IS NOT NULL
       AND s.metadata->'routing'->>'prompt' IS NOT NULL AND (f.score IS NOT NULL OR $3)
     ORDER BY s.started_at DESC LIMIT $4`,
    [query.group, query.since ?? "-infinity", query.outcomes, query.limit ?? 100_000],
  );
  return rows.map((r) => ({
    question: r.prompt,
    scores: { [r.deployment]: r.score ?? (r.status < 400 ? 1 : 0) },
  }));
}

/**
 * Each deployment's price as the spend log saw it (USD per 1M tokens, split evenly between input
 * and output), for training on traffic without a candidates file.
 */
export async function trafficPrices(sql: Sql, query: TrafficQuery): Promise<PricedCandidate[]> {
  const { rows } = await sql.query<{ deployment: string; per_million: number }>(
    `SELECT deployment, 1e6 * sum(spend) / greatest(sum(total_tokens), 1) AS per_million
     FROM routeiq_spend_logs WHERE model_group = $1 AND started_at >= $2 AND deployment IS NOT NULL
     GROUP BY deployment ORDER BY deployment`,
    [query.group, query.since ?? "-infinity"],
  );
  return rows.map((r) => ({
    name: r.deployment,
    inputPrice: Number(r.per_million) / 2,
    outputPrice: Number(r.per_million) / 2,
  }));
}
