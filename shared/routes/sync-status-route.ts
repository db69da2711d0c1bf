import { Hono } from "hono";
import { masterKeyAuth } from "../http/auth";
import type { GatewayEnv } from "../http/env";
import { readLease } from "../store/tables/leases";

/** The lock the config sync leader holds unless LLMROUTER_CONFIG_SYNC_LOCK_NAME names another. */
const DEFAULT_LOCK = "config_sync";

/** The seed's `GET /llmrouter/config/sync/status`, behind the master key like other admin reads. */
export function syncStatusRoute(masterKey: () => string | undefined): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  app.get("/llmrouter/config/sync/status", masterKeyAuth(masterKey), (c) =>
    c.json(c.get("deps").configSyncStatus()),
  );
  // The lease as the database holds it: who leads, whichever replica answers.
  app.get("/llmrouter/config/sync/lease", masterKeyAuth(masterKey), async (c) => {
    const { configSyncStatus, sql } = c.get("deps");
    const election = configSyncStatus().leader_election as { lock_name?: unknown } | undefined;
    const lockName = typeof election?.lock_name === "string" ? election.lock_name : DEFAULT_LOCK;
    const lease = await readLease(sql, lockName);
    return c.json({
      lock_name: lockName,
      holder_id: lease?.holderId ?? null,
      expires_at: lease?.expiresAt.toISOString() ?? null,
      fencing_token: lease?.fencingToken ?? null,
      expired: lease === undefined ? null : lease.expiresAt.getTime() <= Date.now(),
    });
  });
  return app;
}
