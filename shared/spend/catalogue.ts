import { calcPrice } from "@pydantic/genai-prices";

/** USD per token; `cacheRead` where the catalogue lists a price for prompt tokens read from cache. */
export interface Price {
  readonly input: number;
  readonly output: number;
  readonly cacheRead?: number;
}

export interface CatalogueEntry {
  /** Undefined for a model the catalogue knows only by its limits. */
  readonly price: Price | undefined;
  /** The model's context window: what `model_info.max_input_tokens` defaults to. */
  readonly contextWindow: number | undefined;
}

/** The catalogue's name for each provider of ours it prices (the others are looked up by model name alone). */
const CATALOGUE_PROVIDER: Readonly<Record<string, string>> = Object.freeze({
  openai: "openai",
  azure: "azure",
  anthropic: "anthropic",
  bedrock: "aws",
  gemini: "google",
  vertex_ai: "google",
  groq: "groq",
  mistral: "mistral",
  deepseek: "deepseek",
  xai: "x-ai",
  together_ai: "together",
  fireworks_ai: "fireworks",
  openrouter: "openrouter",
  perplexity: "perplexity",
});

type Rate = number | { readonly base: number } | undefined;

/**
 * Per million tokens, as the catalogue lists it. A tiered price (Gemini 2.5 Pro and Claude
 * Sonnet 4.5 cost more past 200k prompt tokens) counts at its base tier.
 */
const perToken = (rate: Rate): number | undefined =>
  rate === undefined ? undefined : (typeof rate === "number" ? rate : rate.base) / 1e6;

/** No usage: the catalogue is asked only which model it is and what it costs per token. */
const NO_USAGE = Object.freeze({});

function find(model: string, provider: string | undefined): CatalogueEntry | undefined {
  const providerId = provider === undefined ? undefined : CATALOGUE_PROVIDER[provider];
  const found = calcPrice(NO_USAGE, model, providerId === undefined ? {} : { providerId });
  if (found === null) return undefined;
  const { model_price: rates } = found;
  const input = perToken(rates.input_mtok as Rate);
  const output = perToken(rates.output_mtok as Rate);
  const cacheRead = perToken(rates.cache_read_mtok as Rate);
  return Object.freeze({
    price:
      input === undefined
        ? undefined
        : Object.freeze({ input, output: output ?? 0, ...(cacheRead === undefined ? {} : { cacheRead }) }),
    contextWindow: found.model.context_window,
  });
}

const remembered = new Map<string, CatalogueEntry | undefined>();
/** Model names a wildcard route passes on are the client's: what is remembered is bounded. */
const MAX_REMEMBERED = 4_096;

/**
 * What `@pydantic/genai-prices` (bundled: no network at start or per request) says of a model sent
 * upstream: its price and context window. The catalogue matches names its own way (snapshots,
 * `-latest`, Bedrock's regional ids) and takes a fraction of a millisecond, so each name is looked
 * up once. Update it with `npm update @pydantic/genai-prices`.
 */
export function catalogueEntry(model: string, provider?: string): CatalogueEntry | undefined {
  const key = `${provider ?? ""}\u0000${model}`;
  if (remembered.has(key)) return remembered.get(key);
  const entry =
    model === ""
      ? undefined
      : (find(model, provider) ?? (provider === undefined ? undefined : find(model, undefined)));
  if (remembered.size >= MAX_REMEMBERED) remembered.clear();
  remembered.set(key, entry);
  return entry;
}
