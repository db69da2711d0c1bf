import { z } from "zod";

/** `NAME=` (as compose writes for an unset `${NAME:-}`) means unset, not an empty value. */
export const unsetIfBlank = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === "" ? undefined : value), schema.optional());

/**
 * Validates environment variables with `schema`; a bad value throws one error that lists every
 * variable at fault under `heading` (e.g. "invalid environment"), so the process stops saying what to fix.
 */
export function parseEnvWith<T extends z.ZodType>(
  schema: T,
  env: Readonly<Record<string, string | undefined>>,
  heading: string,
): z.infer<T> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
  throw new Error(`${heading}:\n  - ${problems.join("\n  - ")}`);
}
