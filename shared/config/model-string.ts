import { providerOfModel } from "./model-catalogue";
import { knownProviders, openAICompatibleHosts } from "./providers";

export type ParsedModel =
  | { readonly provider: string; readonly model: string }
  /**
   * `shown` is how the value may be quoted; `echo` is false when it came from the environment,
   * and then no part of it is repeated.
   */
  | { readonly problem: (shown: string, echo: boolean) => string };

/**
 * Hosts of the OpenAI-compatible services a model without a known prefix is recognised by, from
 * its `api_base` (as LiteLLM does for `api.groq.com`, `api.mistral.ai`...). Local servers
 * (localhost) say nothing about which provider they are.
 */
const PROVIDER_HOSTS: ReadonlyMap<string, string> = new Map(
  Object.entries(openAICompatibleHosts).flatMap(([provider, host]) => {
    if (host.apiBase === undefined || provider === "text_completion_openai") return [];
    const { hostname } = new URL(host.apiBase);
    return hostname === "localhost" ? [] : [[hostname, provider] as const];
  }),
);

const hostOf = (url: string | undefined): string | undefined => {
  if (url === undefined) return undefined;
  try {
    return new URL(url).hostname;
  } catch {
    return undefined;
  }
};

const providerList = knownProviders.join(", ");

/**
 * Splits `litellm_params.model` into the provider and the model sent upstream, the way LiteLLM
 * reads it: `<provider>/<model>` for a known provider; else a well-known model name (`gpt-4o`,
 * `claude-3-5-sonnet-20241022`) with the provider it belongs to; else, with an `api_base` on a
 * known provider's host, that provider and the whole string; `*` alone is OpenAI's wildcard.
 */
export function parseModelString(value: string, apiBase: string | undefined): ParsedModel {
  const slash = value.indexOf("/");
  const prefix = slash > 0 ? value.slice(0, slash) : undefined;
  if (prefix !== undefined && knownProviders.includes(prefix)) {
    const model = value.slice(slash + 1);
    if (model === "") return { problem: (shown) => `${shown} names no model after its provider` };
    return { provider: prefix, model };
  }
  if (value === "*") return { provider: "openai", model: "*" };
  const inferred = providerOfModel(value);
  if (inferred !== undefined) return { provider: inferred, model: value };
  const byHost = PROVIDER_HOSTS.get(hostOf(apiBase) ?? "");
  if (byHost !== undefined) return { provider: byHost, model: value };
  if (prefix !== undefined) {
    return {
      problem: (shown, echo) =>
        `${shown} names an unknown provider${echo ? ` "${prefix}"` : ""}; expected "<provider>/<model>" with one of: ${providerList}`,
    };
  }
  return {
    problem: (shown, echo) => {
      const model = echo ? value : "<model>";
      return `${shown} has no provider and is not a model RouteIQ knows the provider of; write "<provider>/<model>", e.g. "openai/${model}" or "hosted_vllm/${model}" (providers: ${providerList})`;
    },
  };
}
