import { catalogueEntry, type Price } from "./catalogue";

export type { Price } from "./catalogue";

// What may follow a known name and still be the same model: dates (`-2024-08-06`, `-20241022`,
// Vertex's `@20240620`), four-digit snapshots (`-0125`, Mistral's `-2411`), Google's three-digit
// ones (`-002`), `-latest`, and Bedrock's `-v1:0` and `:0`. Anything else (`-mini`, `-pro`,
// `-4-5`) is a different model with its own price.
const VERSION_SUFFIX = /^(?:-\d{4}-\d{2}-\d{2}|[-@]\d{8}|-\d{4}|-\d{3}|-latest|-v\d+(?::\d+)?|:\d+)+$/;

/**
 * How a cloud names a model it hosts, down to the maker's name: Bedrock's API choice
 * (`converse/`, `invoke/`), an ARN's resource path, a cross-region inference profile's geography
 * (`us.`, `eu.`, `apac.`, `global.`...), and the maker prefixes whose models are priced as their
 * maker lists them (`anthropic.`, Amazon's own `amazon.`); the Gemini API's `models/`. Other
 * makers' models on Bedrock (`meta.`, `mistral.`) are priced by Bedrock, not by their makers, so
 * they keep their prefix and stay unpriced unless `model_info` prices them.
 */
const HOSTED_NAME =
  /^(?:(?:converse|invoke)\/)?(?:arn:[^/]+\/)?(?:(?:us|eu|apac|us-gov|jp|au|ca|global)\.)?(?:anthropic\.|amazon\.)?(?:models\/)?/;

const makerName = (model: string): string => model.replace(HOSTED_NAME, "");

/**
 * The entry of `table` for a model name: exact, else the longest known name it is a dated version
 * of. Shared by every per-model table (prices, output limits, the provider catalogue).
 */
export function lookupModel<V>(table: Readonly<Record<string, V>>, model: string): V | undefined {
  // Own keys only: a model named `constructor` must not find Object.prototype's.
  if (Object.hasOwn(table, model)) return table[model];
  for (const known of longestFirst(table)) {
    if (model.startsWith(known) && VERSION_SUFFIX.test(model.slice(known.length))) return table[known];
  }
  return undefined;
}

const namesByLength = new WeakMap<object, readonly string[]>();

function longestFirst(table: object): readonly string[] {
  let names = namesByLength.get(table);
  if (names === undefined) {
    names = Object.keys(table).sort((a, b) => b.length - a.length);
    namesByLength.set(table, names);
  }
  return names;
}

/**
 * `lookupModel` for the name a deployment sends upstream, read as its maker names it: what a price
 * or a limit depends on. (Which provider serves a bare name is another question: see
 * config/model-catalogue.ts, which reads names as written.)
 */
export const lookupHostedModel = <V>(table: Readonly<Record<string, V>>, hosted: string): V | undefined =>
  lookupModel(table, makerName(hosted));

/**
 * The list price of a model sent upstream, from the maintained catalogue (catalogue.ts): as the
 * provider that serves it lists it when it is known, else as the name alone says, the name read
 * as written first and then as its maker names it (see `lookupHostedModel`).
 */
export function priceOf(model: string, provider?: string): Price | undefined {
  return catalogueEntry(model, provider)?.price ?? catalogueEntry(makerName(model), provider)?.price;
}

/** The context window of a model sent upstream, as `priceOf` finds it. */
export function contextWindowOf(model: string, provider?: string): number | undefined {
  return (
    catalogueEntry(model, provider)?.contextWindow ??
    catalogueEntry(makerName(model), provider)?.contextWindow
  );
}
