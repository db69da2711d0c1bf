import type { Context } from "hono";
import type { z } from "zod";
import { badRequest } from "../errors";
import { describeIssues, missingIsRequired } from "../validation/describe-issues";

/** Reads a JSON body: 400 when it is not JSON, naming where parsing stopped. */
export async function readJson(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === "")
    throw badRequest("request body is empty; expected a JSON object", null, "invalid_json");
  try {
    return JSON.parse(text);
  } catch (error) {
    const detail = error instanceof Error ? error.message : "";
    throw badRequest(`request body is not valid JSON: ${detail}`, null, "invalid_json");
  }
}

/** Validates a value with a zod schema: 400 naming every offending field, the first one as `param`. */
export function validate<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const result = schema.safeParse(value, { error: missingIsRequired });
  if (result.success) return result.data;
  const problems = describeIssues(result.error);
  const message = problems
    .map((p) => (p.path === "(root)" ? p.message : `${p.path}: ${p.message}`))
    .join("; ");
  const first = problems[0];
  throw badRequest(message, first === undefined || first.path === "(root)" ? null : first.path);
}
