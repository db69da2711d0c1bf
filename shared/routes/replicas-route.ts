import { Hono } from "hono";
import { GatewayError } from "../errors";
import { masterKeyAuth } from "../http/auth";
import type { GatewayEnv } from "../http/env";

/**
 * `GET /llmrouter/replicas`: every replica that reported itself lately, whichever replica answers:
 * its served config revision, whether it leads config sync, and its readiness.
 */
export function replicasRoute(masterKey: () => string | undefined): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  app.get("/llmrouter/replicas", masterKeyAuth(masterKey), async (c) => {
    const replicas = c.get("deps").replicas;
    if (replicas === undefined) {
      throw new GatewayError({
        status: 404,
        type: "not_found_error",
        code: "replicas_not_reported",
        message: "replicas do not report themselves on this runtime (only the Node gateway does)",
      });
    }
    const { now, replicas: seen } = await replicas.roster.list();
    return c.json({
      heartbeat_seconds: replicas.heartbeatMs / 1000,
      stale_after_seconds: replicas.roster.maxAgeMs / 1000,
      replicas: seen.map(({ seen_at, ...replica }) => ({
        ...replica,
        last_seen: new Date(seen_at).toISOString(),
        age_seconds: Math.max(0, (now - seen_at) / 1000),
      })),
    });
  });
  return app;
}
