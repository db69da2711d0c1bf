import { lookupModel } from "../spend/price-table";
import type { OpenAICompatibleName } from "./providers";

type CatalogueProvider = Extract<OpenAICompatibleName, "openai" | "text_completion_openai"> | "anthropic";

/**
 * Well-known model names and the provider LiteLLM infers for them when a config (or a request
 * served by a provider wildcard) names a model without `<provider>/`. Like LiteLLM, only the
 * providers that own their model names are inferred: OpenAI's and Anthropic's. A name such as
 * `llama-3.1-8b-instant` is served by many providers, so it needs its prefix. Dated snapshots
 * (`gpt-4o-2024-08-06`, `claude-3-5-sonnet-20241022`) resolve to their base name.
 */
export const MODEL_PROVIDERS = Object.freeze({
  // OpenAI chat
  "gpt-5": "openai",
  "gpt-5-mini": "openai",
  "gpt-5-nano": "openai",
  "gpt-4.1": "openai",
  "gpt-4.1-mini": "openai",
  "gpt-4.1-nano": "openai",
  "gpt-4o": "openai",
  "gpt-4o-mini": "openai",
  "chatgpt-4o-latest": "openai",
  "gpt-4-turbo": "openai",
  "gpt-4": "openai",
  "gpt-3.5-turbo": "openai",
  o1: "openai",
  "o1-mini": "openai",
  o3: "openai",
  "o3-mini": "openai",
  "o4-mini": "openai",
  // OpenAI embeddings
  "text-embedding-3-small": "openai",
  "text-embedding-3-large": "openai",
  "text-embedding-ada-002": "openai",
  // OpenAI text completions
  "gpt-3.5-turbo-instruct": "text_completion_openai",
  "babbage-002": "text_completion_openai",
  "davinci-002": "text_completion_openai",
  // Anthropic
  "claude-opus-4-5": "anthropic",
  "claude-sonnet-4-5": "anthropic",
  "claude-haiku-4-5": "anthropic",
  "claude-opus-4-1": "anthropic",
  "claude-opus-4": "anthropic",
  "claude-sonnet-4": "anthropic",
  "claude-3-7-sonnet": "anthropic",
  "claude-3-5-sonnet": "anthropic",
  "claude-3-5-haiku": "anthropic",
  "claude-3-opus": "anthropic",
  "claude-3-haiku": "anthropic",
} satisfies Record<string, CatalogueProvider>);

/** OpenAI's fine-tuned models (`ft:gpt-4o-mini:org::id`), which LiteLLM also sends to OpenAI. */
const OPENAI_FINE_TUNE = /^ft:gpt-/;

/** The provider of a well-known model name given without `<provider>/`, if it is one. */
export function providerOfModel(model: string): CatalogueProvider | undefined {
  if (OPENAI_FINE_TUNE.test(model)) return "openai";
  return lookupModel<CatalogueProvider>(MODEL_PROVIDERS, model);
}

/** The catalogue's names of one provider's models, in catalogue order (what a wildcard lists). */
export function catalogueModels(provider: string): readonly string[] {
  return Object.entries(MODEL_PROVIDERS)
    .filter(([, owner]) => owner === provider)
    .map(([model]) => model);
}
