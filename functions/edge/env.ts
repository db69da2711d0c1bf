import { z } from "zod";
import { parseEnvWith, unsetIfBlank } from "../../shared/config/env-schema";
import { redisPrefixEnv } from "../../shared/store/kv/prefixed";

/**
 * The Worker's variables and secrets (wrangler.toml names them): the shared state the region
 * also uses, reached over the internet, and where the region answers what the edge does not.
 */
export const edgeEnvSchema = z.object({
  // Neon's connection string: the same database as the region's DATABASE_URL.
  DATABASE_URL: z.string({ error: "required: the Neon connection string the region shares" }).min(1),
  UPSTASH_REDIS_REST_URL: z.url({ error: "required: the Upstash REST URL of the region's Redis" }),
  UPSTASH_REDIS_REST_TOKEN: z.string({ error: "required: the Upstash REST token" }).min(1),
  // The region's ROUTEIQ_REDIS_PREFIX: one key, one limit and one cache across both halves.
  ROUTEIQ_REDIS_PREFIX: redisPrefixEnv,
  // Management API and sync status are forwarded here; unset, the edge refuses them naming the region.
  ROUTEIQ_REGION_URL: unsetIfBlank(z.url({ protocol: /^https?$/ })),
  ROUTEIQ_CONFIG_REVISION_POLL_SECONDS: unsetIfBlank(z.coerce.number().positive()).transform((v) => v ?? 5),
  // Local development and tests only: a WebSocket-to-TCP relay instead of Neon's proxy.
  ROUTEIQ_NEON_WS_PROXY: unsetIfBlank(z.url({ protocol: /^wss?$/ })),
});

export type EdgeEnv = z.infer<typeof edgeEnvSchema>;

/** Every string binding, as config `os.environ/NAME` references read them. */
export function stringBindings(bindings: Readonly<Record<string, unknown>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(bindings).filter((entry): entry is [string, string] => typeof entry[1] === "string"),
  );
}

export function parseEdgeEnv(env: Readonly<Record<string, string | undefined>>): EdgeEnv {
  return parseEnvWith(edgeEnvSchema, env, "invalid Worker environment");
}
