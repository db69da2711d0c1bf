import type { Context } from "hono";
import type { z } from "zod";
import { badRequest } from "../../errors";
import { readJson, validate } from "../../http/parse-body";

type ObjectSchema = z.ZodObject<z.ZodRawShape>;

/**
 * Rejects fields the route does not know before validating the rest, naming the first one as
 * `param` and listing what is accepted: a misspelt `max_budjet` must not silently mean "no budget".
 */
export function parseInput<S extends ObjectSchema>(schema: S, value: unknown): z.infer<S> {
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

export const readQuery = <S extends ObjectSchema>(c: Context, schema: S): z.infer<S> =>
  parseInput(schema, c.req.query());
