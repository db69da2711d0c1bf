import { z } from "zod";
import { databaseUrlSchema } from "../../shared/config/database-url";
import { parseEnvWith, unsetIfBlank } from "../../shared/config/env-schema";
import { masterKeyOptOutShape } from "../../shared/config/master-key-rules";
import { redisClusterNodesEnv } from "../../shared/store/kv/cluster-nodes";
import { redisPrefixEnv } from "../../shared/store/kv/prefixed";

/** The Node gateway's environment, validated at start; a bad value stops the process with its name. */
export const nodeEnvSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  // Unset: every interface, or loopback only while the public dev master key is in force (listen-host.ts).
  HOST: unsetIfBlank(z.string()),
  LITELLM_CONFIG_PATH: z.string().optional(),
  ROUTEIQ_DRAIN_TIMEOUT_SECONDS: z.coerce.number().nonnegative().default(30),
  ROUTEIQ_UPSTREAM_CONNECTIONS: z.coerce.number().int().positive().default(256),
  // Shared stores; each unset means its embedded default (see stores.ts).
  DATABASE_URL: unsetIfBlank(databaseUrlSchema),
  // Connections each process may hold: size fleet × this against the server's max_connections.
  DATABASE_POOL_MAX: unsetIfBlank(z.coerce.number().int().positive()),
  // A Redis Cluster (LiteLLM's name): wins over REDIS_URL and REDIS_HOST; REDIS_PASSWORD and REDIS_TLS apply.
  REDIS_CLUSTER_NODES: unsetIfBlank(redisClusterNodesEnv),
  REDIS_URL: unsetIfBlank(z.string()),
  REDIS_HOST: unsetIfBlank(z.string()),
  REDIS_PORT: unsetIfBlank(z.coerce.number().int().min(1).max(65535)),
  REDIS_PASSWORD: unsetIfBlank(z.string()),
  REDIS_TLS: unsetIfBlank(z.stringbool()),
  // Every key and channel a gateway writes sits under it: deployments sharing a Redis stay apart.
  ROUTEIQ_REDIS_PREFIX: redisPrefixEnv,
  ROUTEIQ_DATA_DIR: unsetIfBlank(z.string()),
  // The built operator console served at /ui (default: dist/console, where npm run build puts it).
  ROUTEIQ_CONSOLE_DIR: unsetIfBlank(z.string()),
  // The embedded KV store's bound (no Redis): cache entries are evicted past it, limiter state never.
  ROUTEIQ_MEMORY_KV_MAX_MB: z.coerce.number().positive().default(64),
  LITELLM_RUN_DB_MIGRATIONS: unsetIfBlank(z.stringbool()),
  // Learned routing: a routing model from a local file, and how often published ones are polled for.
  LLMROUTER_MODEL_PATH: unsetIfBlank(z.string()),
  LLMROUTER_MODEL_POLL_SECONDS: unsetIfBlank(z.coerce.number().positive()),
  // The MCP and A2A gateways (docs/mcp-a2a.md).
  MCP_GATEWAY_ENABLED: unsetIfBlank(z.stringbool()),
  A2A_GATEWAY_ENABLED: unsetIfBlank(z.stringbool()),
  // LiteLLM's name for the gateway's public address: what agent cards point clients at.
  PROXY_BASE_URL: unsetIfBlank(z.url({ protocol: /^https?$/ })),
  // Models added through the API, stored in the database with their credentials sealed under the salt key.
  STORE_MODEL_IN_DB: unsetIfBlank(z.stringbool()),
  // Stored credentials are sealed under a key derived from it: anyone who can read the database
  // could guess a short one offline, so it is a random secret or nothing.
  LITELLM_SALT_KEY: unsetIfBlank(
    z
      .string()
      .min(
        32,
        "at least 32 characters of a random secret (e.g. `openssl rand -hex 32`); it seals credentials stored in the database",
      ),
  ),
  ...masterKeyOptOutShape,
});

export type NodeEnv = z.infer<typeof nodeEnvSchema>;

export function parseNodeEnv(env: Readonly<Record<string, string | undefined>>): NodeEnv {
  return parseEnvWith(nodeEnvSchema, env, "invalid environment");
}

/** `--config PATH`, else `LITELLM_CONFIG_PATH`, else `config/config.yaml`. */
export function configPathFrom(argv: readonly string[], env: NodeEnv): string {
  const flag = argv.findIndex((arg) => arg === "--config" || arg.startsWith("--config="));
  if (flag >= 0) {
    const arg = argv[flag] as string;
    const value = arg.includes("=") ? arg.slice(arg.indexOf("=") + 1) : argv[flag + 1];
    if (value === undefined || value === "")
      throw new Error("--config needs a path, e.g. --config config/config.yaml");
    return value;
  }
  return env.LITELLM_CONFIG_PATH ?? "config/config.yaml";
}
