/** USD per token. */
export interface Price {
  readonly input: number;
  readonly output: number;
}

// Providers publish prices per million tokens; writing them that way keeps the table checkable
// against the price pages at a glance.
const perMillion = (input: number, output: number): Price => ({ input: input / 1e6, output: output / 1e6 });

/**
 * Published list prices as of 2025 (standard tier, no caching or batch discounts) of well-known models, keyed
 * by the model name sent upstream. Frozen: a model missing here costs 0 unless its deployment sets
 * `model_info.input_cost_per_token` / `output_cost_per_token`, which always win.
 *
 * Dated snapshots resolve to their base name (see `priceOf`), so a snapshot priced differently from
 * its base name needs its own entry, as does any newer model whose name extends an older one.
 */
export const PRICE_TABLE = Object.freeze({
  // OpenAI
  "gpt-4o": perMillion(2.5, 10),
  "gpt-4o-2024-05-13": perMillion(5, 15),
  "gpt-4o-mini": perMillion(0.15, 0.6),
  "gpt-4.1": perMillion(2, 8),
  "gpt-4.1-mini": perMillion(0.4, 1.6),
  "gpt-4.1-nano": perMillion(0.1, 0.4),
  o1: perMillion(15, 60),
  "o1-mini": perMillion(1.1, 4.4),
  "o3-mini": perMillion(1.1, 4.4),
  "gpt-3.5-turbo": perMillion(0.5, 1.5),
  "gpt-3.5-turbo-1106": perMillion(1, 2),
  "text-embedding-3-small": perMillion(0.02, 0),
  "text-embedding-3-large": perMillion(0.13, 0),
  "text-embedding-ada-002": perMillion(0.1, 0),
  // Anthropic
  "claude-3-haiku": perMillion(0.25, 1.25),
  "claude-3-5-haiku": perMillion(0.8, 4),
  "claude-3-5-sonnet": perMillion(3, 15),
  "claude-3-7-sonnet": perMillion(3, 15),
  "claude-sonnet-4": perMillion(3, 15),
  "claude-sonnet-4-5": perMillion(3, 15),
  "claude-haiku-4-5": perMillion(1, 5),
  "claude-opus-4": perMillion(15, 75),
  "claude-opus-4-1": perMillion(15, 75),
  "claude-opus-4-5": perMillion(5, 25),
  // Google Gemini (Gemini API and Vertex AI list the 2.5 family alike; prompts up to 200k tokens)
  "gemini-2.5-pro": perMillion(1.25, 10),
  "gemini-2.5-flash": perMillion(0.3, 2.5),
  "gemini-2.5-flash-lite": perMillion(0.1, 0.4),
  "gemini-embedding-001": perMillion(0.15, 0),
  // Amazon on Bedrock (Claude on Bedrock is priced as Anthropic lists it, under the names above)
  "nova-micro": perMillion(0.035, 0.14),
  "nova-lite": perMillion(0.06, 0.24),
  "nova-pro": perMillion(0.8, 3.2),
  "titan-embed-text-v2": perMillion(0.02, 0),
  // Mistral
  "mistral-large": perMillion(2, 6),
  "mistral-small": perMillion(0.1, 0.3),
  "mistral-small-2409": perMillion(0.2, 0.6),
  // Groq
  "llama-3.3-70b-versatile": perMillion(0.59, 0.79),
  "llama-3.1-70b-versatile": perMillion(0.59, 0.79),
  "llama-3.1-8b-instant": perMillion(0.05, 0.08),
  "llama3-70b-8192": perMillion(0.59, 0.79),
  "llama3-8b-8192": perMillion(0.05, 0.08),
} satisfies Record<string, Price>);

export type KnownModel = keyof typeof PRICE_TABLE;

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

/** The list price of an upstream model name (see `lookupHostedModel`). */
export function priceOf(model: string): Price | undefined {
  return lookupHostedModel<Price>(PRICE_TABLE, model);
}
