import { lookupHostedModel } from "./price-table";

/**
 * The most output tokens a well-known model produces for one completion, from the providers'
 * model pages. A budget or tpm reservation for a request that sets no `max_tokens` is priced on
 * this (or the deployment's `model_info.max_output_tokens`, which wins).
 */
export const OUTPUT_LIMITS: Readonly<Record<string, number>> = Object.freeze({
  // OpenAI
  "gpt-4o": 16_384,
  "gpt-4o-mini": 16_384,
  "gpt-4.1": 32_768,
  "gpt-4.1-mini": 32_768,
  "gpt-4.1-nano": 32_768,
  o1: 100_000,
  "o1-mini": 65_536,
  "o3-mini": 100_000,
  "gpt-3.5-turbo": 4_096,
  // Anthropic
  "claude-3-haiku": 4_096,
  "claude-3-5-haiku": 8_192,
  "claude-3-5-sonnet": 8_192,
  "claude-3-7-sonnet": 64_000,
  "claude-sonnet-4": 64_000,
  "claude-sonnet-4-5": 64_000,
  "claude-haiku-4-5": 64_000,
  "claude-opus-4": 32_000,
  "claude-opus-4-1": 32_000,
  "claude-opus-4-5": 64_000,
  // Google Gemini
  "gemini-2.5-pro": 65_536,
  "gemini-2.5-flash": 65_536,
  "gemini-2.5-flash-lite": 65_536,
  // Amazon on Bedrock
  "nova-micro": 10_000,
  "nova-lite": 10_000,
  "nova-pro": 10_000,
  // Groq
  "llama-3.3-70b-versatile": 32_768,
  "llama-3.1-8b-instant": 131_072,
});

/** Output limit of an upstream model name, as `lookupHostedModel` resolves it. */
export const outputLimitOf = (model: string): number | undefined => lookupHostedModel(OUTPUT_LIMITS, model);
