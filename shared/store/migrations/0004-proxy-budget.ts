/**
 * The proxy-wide budget (`litellm_settings.max_budget`): one row holding the spend of every request
 * in the current window, added by the spend writer in the same transaction as the log rows. Seeded
 * with everything logged so far, so a budget without a duration covers all spend from the start.
 */
export default /* sql */ `
CREATE TABLE routeiq_proxy_budget (
  name             text PRIMARY KEY,
  spend            double precision NOT NULL DEFAULT 0,
  budget_reset_at  timestamptz,
  updated_at       timestamptz NOT NULL DEFAULT now()
);
INSERT INTO routeiq_proxy_budget (name, spend)
  SELECT 'proxy', coalesce(sum(spend), 0) FROM routeiq_spend_logs;
`;
