import { z } from "zod";
import { parseEnvWith, unsetIfBlank } from "../../shared/config/env-schema";
import type { Env } from "../../shared/config/load";

/** What the gateway Lambda reads beyond the Node gateway's store variables (env.ts). */
export const lambdaEnvSchema = z.object({
  DATABASE_URL: unsetIfBlank(z.string()),
  LITELLM_CONFIG_PATH: unsetIfBlank(z.string()),
  CONFIG_S3_BUCKET: unsetIfBlank(z.string()),
  ROUTEIQ_CONFIG_REVISION_POLL_SECONDS: unsetIfBlank(z.coerce.number().positive()).transform((v) => v ?? 5),
});

export type LambdaEnv = z.infer<typeof lambdaEnvSchema> & { readonly DATABASE_URL: string };

/**
 * Validates the Lambda's environment. PostgreSQL is required: an embedded database would live and
 * die with one container, invisible to every other one.
 */
export function parseLambdaEnv(env: Env): LambdaEnv {
  const parsed = parseEnvWith(lambdaEnvSchema, env, "invalid environment");
  const { DATABASE_URL } = parsed;
  if (DATABASE_URL === undefined) {
    throw new Error(
      "DATABASE_URL is not set (nor DATABASE_SECRET_ARN): the gateway on Lambda needs the shared PostgreSQL; there is no embedded database on Lambda",
    );
  }
  return { ...parsed, DATABASE_URL };
}
