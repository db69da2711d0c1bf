/**
 * Feedback on learned routing decisions, one row per request (the first feedback wins): what the
 * online bandit learned from, kept so routers can be retrained on the gateway's own traffic
 * (joined to the spend log's rows by request id).
 */
export default /* sql */ `
CREATE TABLE routeiq_router_feedback (
  request_id     text PRIMARY KEY,
  key_hash       text,
  model_group    text NOT NULL,
  deployment     text NOT NULL,
  router         text NOT NULL,
  score          double precision NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX routeiq_router_feedback_group ON routeiq_router_feedback (model_group, created_at);
`;
