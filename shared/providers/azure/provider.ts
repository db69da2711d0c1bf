import { openAIWireProvider } from "../openai/wire";

/** Azure OpenAI: the OpenAI wire format under `/openai/deployments/<name>`, `api-version`, `api-key`. */
export const azureProvider = openAIWireProvider({
  name: "azure",
  url: (d, path) =>
    `${d.apiBase}/openai/deployments/${encodeURIComponent(d.model)}${path}?api-version=${encodeURIComponent(d.apiVersion ?? "")}`,
  authHeaders: (d): Record<string, string> => (d.apiKey === undefined ? {} : { "api-key": d.apiKey }),
  // Azure serves the Responses API only on its v1 surface: no deployment in the path (the body's
  // model names it) and no api-version.
  responsesUrl: (d) => `${d.apiBase}/openai/v1/responses`,
});
