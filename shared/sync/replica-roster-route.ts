import { Hono } from "hono";
import { masterKeyAuth } from "../http/auth";
import type { GatewayEnv } from "../http/env";
import type { GatewayModule } from "../module";
import type { ReplicaRoster } from "./replica-roster";

/**
 * `GET /llmrouter/replicas`: every replica that reported itself lately, whichever replica answers:
 * its served config revision, whether it leads config sync, and its readiness.
 */
export function replicaRosterModule(roster: ReplicaRoster, heartbeatMs: number): GatewayModule {
  const routes = new Hono<GatewayEnv>();
  routes.get(
    "/llmrouter/replicas",
    (c, next) => masterKeyAuth(() => c.get("deps").config.current().masterKey)(c, next),
    async (c) => {
      const { now, replicas } = await roster.list();
      return c.json({
        heartbeat_seconds: heartbeatMs / 1000,
        stale_after_seconds: roster.maxAgeMs / 1000,
        replicas: replicas.map(({ seen_at, ...replica }) => ({
          ...replica,
          last_seen: new Date(seen_at).toISOString(),
          age_seconds: Math.max(0, (now - seen_at) / 1000),
        })),
      });
    },
  );
  return { routes, apiPaths: [] };
}
