import type { Context } from "hono";
import type { z } from "zod";
import { badRequest } from "../errors";
import { jsonDepthExceeds } from "../json/depth";
import { describeIssues, missingIsRequired } from "../validation/describe-issues";

/**
 * How deep a request body may nest. Real requests stay far below it (a tool's JSON schema is the
 * deepest part, a dozen levels); beyond it, code that walks the body recursively (serialising it
 * for the upstream, the cache key) would run out of stack, so it is refused before anything runs.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * Reads a body as text, refused (400 `json_too_deep`) when it nests deeper than MAX_JSON_DEPTH:
 * for routes whose body a library parses (MCP's SDK), so the bound holds there too.
 */
export async function readBoundedText(c: Context): Promise<string> {
  const text = await c.req.text();
  if (jsonDepthExceeds(text, MAX_JSON_DEPTH)) {
    throw badRequest(
      `request body nests objects and arrays more than ${MAX_JSON_DEPTH} levels deep`,
      null,
      "json_too_deep",
    );
  }
  return text;
}

/** Reads a JSON body: 400 when it is not JSON (naming where parsing stopped) or nests too deep. */
export async function readJson(c: Context): Promise<unknown> {
  const text = await readBoundedText(c);
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
