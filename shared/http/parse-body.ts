import type { Context } from "hono";
import type { z } from "zod";
import { formatIssuePath } from "../config/issue-path";
import { badRequest } from "../errors";

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
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues;
  const message = issues.map((issue) => `${formatIssuePath(issue.path)}: ${issue.message}`).join("; ");
  const first = issues[0];
  throw badRequest(message, first === undefined ? null : formatIssuePath(first.path));
}
