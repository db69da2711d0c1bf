import type { Context } from "hono";
import type { z } from "zod";
import { badRequest } from "../../errors";
import { readJson, validate } from "../../http/parse-body";
import { formatIssuePath } from "../../validation/issue-path";

type ObjectSchema = z.ZodObject<z.ZodRawShape>;

interface Step {
  readonly key: PropertyKey;
  readonly parent: Step | undefined;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why PostgreSQL would refuse this text (NUL in text and jsonb, unpaired surrogates in jsonb), if it would. */
const unstorable = (text: string): string | undefined => {
  if (text.includes("\u0000")) return "must not contain NUL (\\u0000) characters";
  if (LONE_SURROGATE.test(text)) return "must be valid Unicode (it holds an unpaired surrogate)";
  return undefined;
};

const pathOf = (step: Step | undefined): PropertyKey[] => {
  const path: PropertyKey[] = [];
  for (let at = step; at !== undefined; at = at.parent) path.unshift(at.key);
  return path;
};

/**
 * The first string, value or key at any depth (`metadata` is free form), that PostgreSQL would
 * refuse: it would fail the query, a 500, instead of the request. Walked with a stack, so no
 * nesting depth can overflow the call stack.
 */
function unstorableText(value: unknown): { path: PropertyKey[]; problem: string } | undefined {
  const pending: [unknown, Step | undefined][] = [[value, undefined]];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [item, step] = next;
    if (typeof item === "string") {
      const problem = unstorable(item);
      if (problem !== undefined) return { path: pathOf(step), problem };
      continue;
    }
    if (item === null || typeof item !== "object") continue;
    // Pushed last to first, so the first one in document order is the one reported.
    for (const [key, child] of Object.entries(item).reverse()) {
      const at = { key: Array.isArray(item) ? Number(key) : key, parent: step };
      const problem = unstorable(key);
      if (problem !== undefined) return { path: pathOf(at), problem };
      pending.push([child, at]);
    }
  }
  return undefined;
}

/** A key in a path as it can be shown: the characters that made it unstorable escaped. */
const printable = (key: PropertyKey): PropertyKey =>
  typeof key === "string" ? JSON.stringify(key).slice(1, -1) : key;

function refuseUnstorableText(value: unknown): void {
  const found = unstorableText(value);
  if (found === undefined) return;
  const field = formatIssuePath(found.path.map(printable));
  throw badRequest(`${field}: ${found.problem}`, field);
}

/**
 * Rejects fields the route does not know before validating the rest, naming the first one as
 * `param` and listing what is accepted: a misspelt `max_budjet` must not silently mean "no budget".
 */
export function parseInput<S extends ObjectSchema>(schema: S, value: unknown): z.infer<S> {
  refuseUnstorableText(value);
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    const known = Object.keys(schema.shape);
    const unknown = Object.keys(value).filter((field) => !known.includes(field));
    const [first] = unknown;
    if (first !== undefined) {
      throw badRequest(
        `unknown field${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")}; accepted: ${known.join(", ")}`,
        first,
      );
    }
  }
  return validate(schema, value);
}

export const readBody = async <S extends ObjectSchema>(c: Context, schema: S): Promise<z.infer<S>> =>
  parseInput(schema, await readJson(c));

/** A body a route may also be called without (LiteLLM's optional request models): none reads as `{}`. */
export const readOptionalBody = async <S extends ObjectSchema>(c: Context, schema: S): Promise<z.infer<S>> =>
  parseInput(schema, (await c.req.text()).trim() === "" ? {} : await readJson(c));

export const readQuery = <S extends ObjectSchema>(c: Context, schema: S): z.infer<S> =>
  parseInput(schema, c.req.query());
