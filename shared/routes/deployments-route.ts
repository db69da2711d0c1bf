import { Hono } from "hono";
import type { Deployment } from "../config/deployment";
import { displayUrl } from "../config/display-url";
import { masterKeyAuth } from "../http/auth";
import type { GatewayEnv } from "../http/env";
import type { DeploymentStats } from "../router/types";

const view = (d: Deployment, stats: DeploymentStats | undefined, now: number) => ({
  id: d.id,
  provider: d.provider,
  model: d.model,
  api_base: (d.apiBase === undefined ? undefined : displayUrl(d.apiBase)) ?? null,
  mode: d.mode ?? null,
  rpm_limit: d.rpm ?? null,
  tpm_limit: d.tpm ?? null,
  in_flight: stats?.inFlight ?? 0,
  rpm: stats?.rpm ?? 0,
  tpm: stats?.tpm ?? 0,
  latency_ms: stats?.latencyMs ?? null,
  cooling_down: (stats?.cooldownUntil ?? 0) > now,
  cooldown_until:
    (stats?.cooldownUntil ?? 0) > now ? new Date(stats?.cooldownUntil ?? 0).toISOString() : null,
});

/**
 * `GET /llmrouter/deployments`: every model group with its deployments and what the router knows
 * of each right now (in flight, rpm, tpm, latency, cooldown), shared by the replicas when Redis is.
 * Read-only, behind the master key; secrets (api keys) are never part of it.
 */
export function deploymentsRoute(masterKey: () => string | undefined): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  app.get("/llmrouter/deployments", masterKeyAuth(masterKey), async (c) => {
    const { config, routerState } = c.get("deps");
    const deployments = config.current().deployments;
    const groups = [...new Set(deployments.map((d) => d.modelGroup))];
    const now = Date.now();
    const data = await Promise.all(
      groups.map(async (group) => {
        const members = deployments.filter((d) => d.modelGroup === group);
        const stats = await routerState.stats(members);
        return { model_group: group, deployments: members.map((d, i) => view(d, stats[i], now)) };
      }),
    );
    return c.json({ data });
  });
  return app;
}
