import { fileURLToPath } from "node:url";
import { z } from "zod";
import { parseEnvWith, unsetIfBlank } from "../../shared/config/env-schema";

const seconds = (fallback: number) =>
  unsetIfBlank(z.coerce.number().positive()).transform((v) => v ?? fallback);

export const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** DATABASE_URL unset: a database of the runner's own (created when missing), never the tests' `test`. */
export const LOCAL_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/routeiq_local";

/**
 * The local HA runner's environment. Lease and sync timings default far shorter than production
 * (30 s lease, 60 s interval) so a failover can be watched in seconds; set them to compare.
 */
export const haEnvSchema = z
  .object({
    HA_PORT: unsetIfBlank(z.coerce.number().int().min(1).max(65535)).transform((v) => v ?? 4000),
    HA_RESTART_BACKOFF_MS: unsetIfBlank(z.coerce.number().int().nonnegative()).transform((v) => v ?? 500),
    HA_READY_TIMEOUT_SECONDS: seconds(60),
    ROUTEIQ_DRAIN_TIMEOUT_SECONDS: unsetIfBlank(z.coerce.number().nonnegative()).transform((v) => v ?? 30),
    NGINX_BIN: unsetIfBlank(z.string()).transform((v) => v ?? "nginx"),
    // Where `npm run build` put the bundles (`node infra/bundle.mjs --outdir DIR` builds elsewhere).
    HA_DIST_DIR: unsetIfBlank(z.string()).transform((v) => v ?? `${REPO_ROOT}dist`),
    LITELLM_CONFIG_PATH: unsetIfBlank(z.string()).transform((v) => v ?? `${REPO_ROOT}config/config.yaml`),
    LITELLM_MASTER_KEY: unsetIfBlank(z.string()).transform((v) => v ?? "sk-routeiq-dev-master-key"),
    // Unset: LOCAL_DATABASE_URL, created when missing; a URL given is used as is.
    DATABASE_URL: unsetIfBlank(z.string()),
    REDIS_URL: unsetIfBlank(z.string()).transform((v) => v ?? "redis://127.0.0.1:6379"),
    // Unset: a local s3rver serves the bucket, seeded with LITELLM_CONFIG_PATH. Set: that S3 is used as is.
    CONFIG_S3_BUCKET: unsetIfBlank(z.string()),
    CONFIG_S3_KEY: unsetIfBlank(z.string()).transform((v) => v ?? "config/config.yaml"),
    CONFIG_SYNC_INTERVAL: seconds(2),
    ROUTEIQ_CONFIG_REVISION_POLL_SECONDS: seconds(2),
    LLMROUTER_CONFIG_SYNC_LEASE_SECONDS: seconds(6),
    LLMROUTER_CONFIG_SYNC_RENEW_INTERVAL_SECONDS: seconds(2),
  })
  .refine(
    (env) => env.LLMROUTER_CONFIG_SYNC_RENEW_INTERVAL_SECONDS < env.LLMROUTER_CONFIG_SYNC_LEASE_SECONDS,
    {
      message: "must be less than LLMROUTER_CONFIG_SYNC_LEASE_SECONDS",
      path: ["LLMROUTER_CONFIG_SYNC_RENEW_INTERVAL_SECONDS"],
    },
  );

export type HaEnv = z.infer<typeof haEnvSchema>;

/** Reads the runner's environment; a bad value throws an error naming every variable at fault. */
export function parseHaEnv(env: Readonly<Record<string, string | undefined>>): HaEnv {
  return parseEnvWith(haEnvSchema, env, "invalid environment");
}
