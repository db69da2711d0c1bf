import { z } from "zod";
import { parseEnvWith, unsetIfBlank } from "../../shared/config/env-schema";
import { migrate } from "../../shared/store/sql/migrate";
import { pgSql } from "../../shared/store/sql/pg";
import { type EdgeWorker, startEdgeWorker } from "./edge-worker";
import { REPO_ROOT } from "./env";
import { type PgWsRelay, startPgWsRelay } from "./pg-ws-relay";
import { startUpstashBridge, type UpstashBridge } from "./upstash-rest-bridge";

export interface EdgeStack {
  /** The edge gateway, served by workerd. */
  readonly url: string;
  readonly worker: EdgeWorker;
  readonly relay: PgWsRelay;
  readonly bridge: UpstashBridge;
  close(): Promise<void>;
}

/**
 * The edge as it runs in production, on this machine: the built bundle in workerd (miniflare),
 * reaching `databaseUrl` through a WebSocket relay (Neon's protocol) and `redisUrl` through an
 * Upstash REST bridge, the same PostgreSQL and Redis a region gateway can use over TCP.
 */
export async function startEdgeStack(options: {
  readonly databaseUrl: string;
  readonly redisUrl: string;
  readonly bundleDir: string;
  /** More variables and secrets (LITELLM_MASTER_KEY, provider keys, ROUTEIQ_REGION_URL, ...). */
  readonly bindings?: Readonly<Record<string, string>>;
  readonly port?: number;
  /** What the Worker writes; default: this process's stdout and stderr. */
  readonly onOutput?: (text: string) => void;
}): Promise<EdgeStack> {
  const database = new URL(options.databaseUrl);
  const relay = await startPgWsRelay({ host: database.hostname, port: Number(database.port || 5432) });
  const bridge = await startUpstashBridge({ redisUrl: options.redisUrl, token: crypto.randomUUID() });
  try {
    const worker = await startEdgeWorker({
      bundleDir: options.bundleDir,
      port: options.port,
      onOutput: options.onOutput,
      bindings: {
        DATABASE_URL: options.databaseUrl,
        UPSTASH_REDIS_REST_URL: bridge.url,
        UPSTASH_REDIS_REST_TOKEN: bridge.token,
        ROUTEIQ_NEON_WS_PROXY: relay.url,
        ...options.bindings,
      },
    });
    return {
      url: worker.url,
      worker,
      relay,
      bridge,
      async close() {
        await worker.close();
        await Promise.all([bridge.close(), relay.close()]);
      },
    };
  } catch (error) {
    await Promise.all([bridge.close(), relay.close()]);
    throw error;
  }
}

const devEnvSchema = z.object({
  DATABASE_URL: unsetIfBlank(z.string()).transform((v) => v ?? "postgresql://postgres@127.0.0.1:5432/test"),
  REDIS_URL: unsetIfBlank(z.string()).transform((v) => v ?? "redis://127.0.0.1:6379"),
  EDGE_PORT: unsetIfBlank(z.coerce.number().int().min(1).max(65535)).transform((v) => v ?? 8787),
  LITELLM_MASTER_KEY: unsetIfBlank(z.string()).transform((v) => v ?? "sk-routeiq-dev-master-key"),
  ROUTEIQ_REGION_URL: unsetIfBlank(z.string()),
});

/**
 * `npm run dev:edge`: migrates DATABASE_URL (the region's job when deployed) and serves the edge
 * on EDGE_PORT until Ctrl-C. Start a region gateway on the same DATABASE_URL and REDIS_URL to
 * see both halves share keys, limits and the cache.
 */
async function main(): Promise<void> {
  const env = parseEnvWith(devEnvSchema, process.env, "invalid environment");
  const sql = pgSql({ connectionString: env.DATABASE_URL });
  try {
    await migrate(sql);
  } finally {
    await sql.close();
  }
  const stack = await startEdgeStack({
    databaseUrl: env.DATABASE_URL,
    redisUrl: env.REDIS_URL,
    bundleDir: `${REPO_ROOT}dist/edge`,
    port: env.EDGE_PORT,
    bindings: {
      LITELLM_MASTER_KEY: env.LITELLM_MASTER_KEY,
      ...(env.ROUTEIQ_REGION_URL === undefined ? {} : { ROUTEIQ_REGION_URL: env.ROUTEIQ_REGION_URL }),
    },
  });
  console.log(JSON.stringify({ event: "edge listening", url: stack.url }));
  const stop = () => {
    stack.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  });
}
