import { Hono } from "hono";
import { masterKeyAuth } from "../http/auth";
import type { GatewayEnv } from "../http/env";

/** The seed's `GET /llmrouter/config/sync/status`, behind the master key like other admin reads. */
export function syncStatusRoute(masterKey: () => string | undefined): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  app.get("/llmrouter/config/sync/status", masterKeyAuth(masterKey), (c) =>
    c.json(c.get("deps").configSyncStatus()),
  );
  return app;
}
