import { Hono } from "hono";
import { masterKeyAuth } from "../http/auth";
import type { GatewayEnv } from "../http/env";

/**
 * Prometheus scrape endpoint. Open by default as in LiteLLM (it holds no secrets);
 * `litellm_settings.require_auth_for_metrics_endpoint: true` puts it behind the master key,
 * which `requiredKey` returns in that case.
 */
export function metricsRoute(requiredKey: () => string | undefined): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  app.get("/metrics", masterKeyAuth(requiredKey), async function metrics(c) {
    const { contentType, body } = await c.get("deps").metrics.render();
    return c.body(body, 200, { "content-type": contentType });
  });
  return app;
}
