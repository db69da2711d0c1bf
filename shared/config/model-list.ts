import type { OutboundPolicy } from "../http/outbound-url-policy";
import { wildcardCount } from "../router/wildcard-routes";
import { contextWindowOf } from "../spend/price-table";
import { formatIssuePath } from "../validation/issue-path";
import type { Deployment } from "./deployment";
import { parseModelString } from "./model-string";
import { defaultApiKeyEnv, isOpenAICompatible, openAICompatibleHosts } from "./providers";
import type { ModelEntry } from "./schema";

type Env = Readonly<Record<string, string | undefined>>;

/** How a field read from the environment is named instead of shown: `(value of os.environ/NAME)`. */
export type FromEnv = (path: readonly PropertyKey[]) => string | undefined;

export interface ModelListCheck {
  readonly env: Env;
  readonly outbound: OutboundPolicy;
  readonly fromEnv: FromEnv;
  /** Seconds, when neither `litellm_params.timeout` nor a section's setting says. */
  readonly defaultTimeoutSeconds: number;
  readonly problems: string[];
}

/** A `model_list` entry that passed the schema, with its place in the file. */
export interface IndexedEntry {
  readonly entry: ModelEntry;
  readonly index: number;
}

const DEFAULT_AZURE_API_VERSION = "2024-10-21";
/** The `litellm_params` a provider reads itself: the mock's settings, Bedrock's and Vertex AI's. */
const PROVIDER_PARAM_PREFIXES = Object.freeze(["mock_", "aws_", "vertex_"]);

const nonEmpty = (value: string | undefined): string | undefined => (value === "" ? undefined : value);

type MutableDeployment = { -readonly [K in keyof Deployment]: Deployment[K] };

/** Where Google serves Vertex AI, Private Service Connect and regional endpoints included. */
const isGoogleApisHost = (host: string): boolean =>
  host === "googleapis.com" || host.endsWith(".googleapis.com");

/**
 * Why `apiBase` may not receive the gateway's own identity, else undefined. A Vertex AI deployment
 * without `vertex_credentials` sends a bearer token of the gateway's Application Default
 * Credentials (its service account, workload identity, the metadata server's token): whoever
 * writes the config could aim it at a host of theirs and use that token against any Google API the
 * gateway may call. (Bedrock signs each request for its endpoint's host, which gives nothing away.)
 */
function ambientCredentialsRefusal(
  provider: string,
  apiBase: string,
  params: ModelEntry["litellm_params"],
  outbound: OutboundPolicy,
): string | undefined {
  if (provider !== "vertex_ai" || (params as Record<string, unknown>).vertex_credentials !== undefined)
    return undefined;
  const url = URL.canParse(apiBase) ? new URL(apiBase) : undefined;
  const host = url?.hostname.toLowerCase().replace(/\.+$/, "") ?? "";
  if ((url?.protocol === "https:" && isGoogleApisHost(host)) || outbound.listsHost(host)) return undefined;
  return "a vertex_ai deployment without vertex_credentials sends the gateway's own Google credentials (Application Default Credentials), so it is served only at https://*.googleapis.com; set vertex_credentials, or list the host in ROUTEIQ_OUTBOUND_ALLOWLIST";
}

/** The entry's deployment, or undefined (with its problems recorded) when it cannot be served. */
function toDeployment({ entry, index }: IndexedEntry, check: ModelListCheck): MutableDeployment | undefined {
  const { problems, fromEnv } = check;
  const p = entry.litellm_params;
  const info = entry.model_info ?? {};
  const at = `model_list[${index}].litellm_params`;
  const modelPath = ["model_list", index, "litellm_params", "model"];
  const shownModel = fromEnv(modelPath);
  const parsed = parseModelString(p.model, p.api_base);
  if ("problem" in parsed) {
    problems.push(`${at}.model: ${parsed.problem(shownModel ?? `"${p.model}"`, shownModel === undefined)}`);
    return undefined;
  }
  const { provider, model } = parsed;
  const templates = wildcardCount(model);
  const patterns = wildcardCount(entry.model_name);
  if (templates > 0 && patterns === 0) {
    problems.push(
      `${at}.model: a "*" in the model needs one in model_name too (a wildcard route, e.g. model_name: "${provider}/*"); "*" is never sent upstream`,
    );
  } else if (templates > 0 && templates !== patterns) {
    problems.push(
      `${at}.model: has ${templates} "*" but model_name has ${patterns}; each "*" of the model is filled with what the "*" at the same place in model_name matched`,
    );
  }
  // Bedrock's endpoint is LiteLLM's aws_bedrock_runtime_endpoint or api_base: either is checked as api_base is.
  const baseField =
    p.api_base === undefined && provider === "bedrock" && p.aws_bedrock_runtime_endpoint !== undefined
      ? "aws_bedrock_runtime_endpoint"
      : "api_base";
  let apiBase = baseField === "api_base" ? p.api_base : p.aws_bedrock_runtime_endpoint;
  if (isOpenAICompatible(provider)) apiBase ??= openAICompatibleHosts[provider].apiBase;
  if (apiBase === undefined && (provider === "azure" || isOpenAICompatible(provider))) {
    problems.push(`${at}.api_base: required for provider "${provider}" (the server's base URL)`);
  }
  const refused = apiBase === undefined ? undefined : check.outbound.refuseUrl(apiBase);
  if (refused !== undefined) {
    const shown = fromEnv(["model_list", index, "litellm_params", baseField]) ?? `"${apiBase}"`;
    problems.push(`${at}.${baseField}: ${shown} is refused: ${refused}`);
  }
  if (refused === undefined && apiBase !== undefined) {
    const ambient = ambientCredentialsRefusal(provider, apiBase, p, check.outbound);
    if (ambient !== undefined) {
      const shown = fromEnv(["model_list", index, "litellm_params", baseField]) ?? `"${apiBase}"`;
      problems.push(`${at}.${baseField}: ${shown} is refused: ${ambient}`);
    }
  }
  const keyEnv = defaultApiKeyEnv(provider);
  return {
    id: info.id ?? "",
    modelGroup: entry.model_name,
    provider,
    model,
    apiBase: apiBase?.replace(/\/+$/, ""),
    apiKey: p.api_key ?? (keyEnv === undefined ? undefined : nonEmpty(check.env[keyEnv])),
    apiVersion: p.api_version ?? (provider === "azure" ? DEFAULT_AZURE_API_VERSION : undefined),
    organization: p.organization,
    rpm: p.rpm,
    tpm: p.tpm,
    weight: p.weight,
    timeoutMs: (p.timeout ?? check.defaultTimeoutSeconds) * 1000,
    maxRetries: p.max_retries,
    inputCostPerToken: info.input_cost_per_token,
    outputCostPerToken: info.output_cost_per_token,
    mode: info.mode,
    // A wildcard route's template names no model; each request's is checked as sent.
    maxInputTokens: info.max_input_tokens ?? (templates > 0 ? undefined : contextWindowOf(model, provider)),
    maxOutputTokens: info.max_output_tokens ?? info.max_tokens,
    extraHeaders: Object.freeze({ ...(p.extra_headers ?? {}) }),
    params: Object.freeze(
      Object.fromEntries(
        Object.entries(p).filter(([key]) => PROVIDER_PARAM_PREFIXES.some((prefix) => key.startsWith(prefix))),
      ),
    ),
    ...(info.health_check_model === undefined ? {} : { healthCheckModel: info.health_check_model }),
  };
}

/** Ids default to `<provider>/<model>`, suffixed `#2`, `#3`... when a group repeats one. */
function assignIds(deployments: readonly MutableDeployment[]): void {
  // Counted across the whole config, not per group: router state is keyed by id, and two entries
  // with the same model string (say, on two api_bases) must not share cooldowns or usage.
  const seen = new Map<string, number>();
  for (const d of deployments) {
    if (d.id !== "") continue;
    const base = `${d.provider}/${d.model}`;
    const count = (seen.get(base) ?? 0) + 1;
    seen.set(base, count);
    d.id = count === 1 ? base : `${base}#${count}`;
  }
}

function checkUniqueIds(
  built: readonly { readonly d: Deployment; readonly at: IndexedEntry }[],
  check: ModelListCheck,
): void {
  const seen = new Set<string>();
  for (const { d, at } of built) {
    const key = `${d.modelGroup}\u0000${d.id}`;
    if (seen.has(key)) {
      // An id not written out is the model string, which may have come from the environment.
      const source =
        at.entry.model_info?.id === undefined ? ["litellm_params", "model"] : ["model_info", "id"];
      const shown = check.fromEnv(["model_list", at.index, ...source]) ?? `"${d.id}"`;
      check.problems.push(
        `${formatIssuePath(["model_list", at.index, "model_info", "id"])}: duplicate deployment id ${shown}`,
      );
    }
    seen.add(key);
  }
}

/**
 * The deployments of the entries that can be served, and every problem of the others recorded.
 * Groups keep config order; a wildcard route's group is named by its pattern.
 */
export function deploymentsOf(
  entries: readonly IndexedEntry[],
  check: ModelListCheck,
): { deployments: Deployment[]; groups: ReadonlyMap<string, readonly Deployment[]> } {
  const built = entries.flatMap((at) => {
    const d = toDeployment(at, check);
    return d === undefined ? [] : [{ d, at }];
  });
  assignIds(built.map(({ d }) => d));
  checkUniqueIds(built, check);
  const deployments = built.map(({ d }) => d);
  const groups = new Map<string, Deployment[]>();
  for (const d of deployments) {
    const list = groups.get(d.modelGroup);
    if (list === undefined) groups.set(d.modelGroup, [d]);
    else list.push(d);
  }
  return { deployments, groups };
}
