import { badRequest } from "../errors";

/**
 * One OpenAI request parameter's fate in a provider's request: copied (and transformed) to
 * `param`, spread into several fields by `expand`, or refused with a reason when the provider
 * cannot honour the value. Absent and null values are skipped.
 */
export type ParamRule =
  | { readonly param: string; readonly transform?: (value: unknown) => unknown }
  | { readonly expand: (value: unknown) => Readonly<Record<string, unknown>> }
  | { readonly refuse: (value: unknown) => string | undefined };

/** OpenAI parameter name → rule. When two parameters fill one field, the first listed wins. */
export type ParamTable = Readonly<Record<string, ParamRule>>;

/** `stop` is a string or a list upstream APIs take as a list. */
export const asList = (value: unknown): unknown => (typeof value === "string" ? [value] : value);

/**
 * Applies a provider's table to a request: the fields of the provider's parameter object, or
 * undefined when none applies (so the object is left out of the body). A refused value is the
 * caller's 400, naming the parameter: the gateway cannot translate it.
 */
export function mapParams(
  request: Readonly<Record<string, unknown>>,
  table: ParamTable,
): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  for (const [name, rule] of Object.entries(table)) {
    const value = request[name];
    if (value === undefined || value === null) continue;
    if ("refuse" in rule) {
      const reason = rule.refuse(value);
      if (reason !== undefined) throw badRequest(`${name}: ${reason}`, name, "unsupported_parameter");
    } else if ("expand" in rule) {
      for (const [key, item] of Object.entries(rule.expand(value))) if (!(key in out)) out[key] = item;
    } else if (!(rule.param in out)) {
      out[rule.param] = rule.transform === undefined ? value : rule.transform(value);
    }
  }
  return Object.keys(out).length > 0 ? out : undefined;
}
