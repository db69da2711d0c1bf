import { openAIWireProvider } from "./wire";

/** OpenAI and every OpenAI-compatible host (vLLM, Ollama, Groq, Together, Mistral, ...) via `api_base`. */
export const openAIProvider = openAIWireProvider({
  name: "openai",
  url: (d, path) => `${d.apiBase}${path}`,
  authHeaders: (d): Record<string, string> => {
    const headers: Record<string, string> = {};
    if (d.apiKey !== undefined) headers.authorization = `Bearer ${d.apiKey}`;
    if (d.organization !== undefined) headers["openai-organization"] = d.organization;
    return headers;
  },
});
