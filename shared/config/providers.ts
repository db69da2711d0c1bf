/**
 * Providers that speak the OpenAI wire format, declared as data: the LiteLLM prefix, where the
 * service lives by default, and which environment variable holds its key by default.
 */
export interface OpenAICompatibleHost {
  readonly apiBase: string | undefined;
  readonly apiKeyEnv: string | undefined;
}

export const openAICompatibleHosts = Object.freeze({
  openai: { apiBase: "https://api.openai.com/v1", apiKeyEnv: "OPENAI_API_KEY" },
  text_completion_openai: { apiBase: "https://api.openai.com/v1", apiKeyEnv: "OPENAI_API_KEY" },
  groq: { apiBase: "https://api.groq.com/openai/v1", apiKeyEnv: "GROQ_API_KEY" },
  together_ai: { apiBase: "https://api.together.xyz/v1", apiKeyEnv: "TOGETHERAI_API_KEY" },
  mistral: { apiBase: "https://api.mistral.ai/v1", apiKeyEnv: "MISTRAL_API_KEY" },
  deepseek: { apiBase: "https://api.deepseek.com/v1", apiKeyEnv: "DEEPSEEK_API_KEY" },
  openrouter: { apiBase: "https://openrouter.ai/api/v1", apiKeyEnv: "OPENROUTER_API_KEY" },
  fireworks_ai: { apiBase: "https://api.fireworks.ai/inference/v1", apiKeyEnv: "FIREWORKS_AI_API_KEY" },
  xai: { apiBase: "https://api.x.ai/v1", apiKeyEnv: "XAI_API_KEY" },
  perplexity: { apiBase: "https://api.perplexity.ai", apiKeyEnv: "PERPLEXITYAI_API_KEY" },
  ollama: { apiBase: "http://localhost:11434/v1", apiKeyEnv: undefined },
  ollama_chat: { apiBase: "http://localhost:11434/v1", apiKeyEnv: undefined },
  lm_studio: { apiBase: "http://localhost:1234/v1", apiKeyEnv: "LM_STUDIO_API_KEY" },
  hosted_vllm: { apiBase: undefined, apiKeyEnv: "HOSTED_VLLM_API_KEY" },
  vllm: { apiBase: undefined, apiKeyEnv: "HOSTED_VLLM_API_KEY" },
  openai_compatible: { apiBase: undefined, apiKeyEnv: undefined },
} satisfies Record<string, OpenAICompatibleHost>);

export type OpenAICompatibleName = keyof typeof openAICompatibleHosts;

/** Providers with a wire format of their own. */
export const nativeProviders = Object.freeze([
  "azure",
  "anthropic",
  "bedrock",
  "gemini",
  "vertex_ai",
  "mock",
] as const);

export const knownProviders: readonly string[] = Object.freeze([
  ...Object.keys(openAICompatibleHosts),
  ...nativeProviders,
]);

export function isOpenAICompatible(provider: string): provider is OpenAICompatibleName {
  return Object.hasOwn(openAICompatibleHosts, provider);
}

/** Environment variable a provider's key is read from when `api_key` is not set. */
export function defaultApiKeyEnv(provider: string): string | undefined {
  if (isOpenAICompatible(provider)) return openAICompatibleHosts[provider].apiKeyEnv;
  if (provider === "azure") return "AZURE_API_KEY";
  if (provider === "anthropic") return "ANTHROPIC_API_KEY";
  if (provider === "gemini") return "GEMINI_API_KEY";
  return undefined;
}
