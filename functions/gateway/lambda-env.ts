import { z } from "zod";
import type { Env } from "../../shared/config/load";

/** `NAME=` means unset, as in the Node gateway's environment. */
const unsetIfBlank = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === "" ? undefined : value), schema.optional());

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
  const result = lambdaEnvSchema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    throw new Error(`invalid environment:\n  - ${problems.join("\n  - ")}`);
  }
  const { DATABASE_URL } = result.data;
  if (DATABASE_URL === undefined) {
    throw new Error(
      "DATABASE_URL is not set (nor DATABASE_SECRET_ARN): the gateway on Lambda needs the shared PostgreSQL; there is no embedded database on Lambda",
    );
  }
  return { ...result.data, DATABASE_URL };
}
