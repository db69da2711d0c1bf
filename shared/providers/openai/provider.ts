import type { Deployment } from "../../config/deployment";
import { openAIWireProvider } from "./wire";

const url = (d: Deployment, path: string) => `${d.apiBase}${path}`;

function authHeaders(d: Deployment): Record<string, string> {
  const headers: Record<string, string> = {};
  if (d.apiKey !== undefined) headers.authorization = `Bearer ${d.apiKey}`;
  if (d.organization !== undefined) headers["openai-organization"] = d.organization;
  return headers;
}

/** OpenAI itself (`openai/`): chat, completions, embeddings and the Responses API. */
export const openAIProvider = openAIWireProvider({
  name: "openai",
  url,
  authHeaders,
  responsesUrl: (d) => url(d, "/responses"),
});

/**
 * Every OpenAI-compatible host (vLLM, Ollama, Groq, Together, Mistral, ...): the same wire format,
 * but few serve the Responses API, so it reaches them translated to chat completions.
 */
export const openAICompatibleProvider = openAIWireProvider({ name: "openai", url, authHeaders });
