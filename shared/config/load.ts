import { parseDocument } from "yaml";
import { parseCacheSettings } from "../cache/settings";
import { toKeyCacheSettings } from "../keys/key-cache-settings";
import { describeIssues, missingIsRequired } from "../validation/describe-issues";
import { formatIssuePath } from "../validation/issue-path";
import type { Deployment } from "./deployment";
import { type EnvProblem, resolveEnvRefs } from "./env-refs";
import { defaultApiKeyEnv, isOpenAICompatible, openAICompatibleHosts } from "./providers";
import type { RuntimeConfig } from "./runtime-config";
import { configSchema, type GatewayConfigFile, knownKeys, type ModelEntry } from "./schema";
import { unknownKeyPaths, unknownKeyWarnings } from "./unknown-keys";

export type Env = Readonly<Record<string, string | undefined>>;

/** A config that must not be served. `problems` lists each one as `path: what was expected`. */
export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(source: string, problems: readonly string[]) {
    super(`invalid config ${source}:\n  - ${problems.join("\n  - ")}`);
    this.name = "ConfigError";
    this.problems = problems;
  }
}

export interface LoadedConfig {
  readonly config: RuntimeConfig;
  /** Unknown keys and similar: tolerated, reported once by the caller. */
  readonly warnings: readonly string[];
}

const DEFAULT_AZURE_API_VERSION = "2024-10-21";

/** Parses and validates a LiteLLM-style YAML (or JSON) config; throws ConfigError listing every problem. */
export function loadConfig(text: string, env: Env, source = "config.yaml"): LoadedConfig {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    throw new ConfigError(
      source,
      doc.errors.map((e) => `yaml: ${e.message.split("\n")[0]}`),
    );
  }
  const raw: unknown = doc.toJS() ?? {};
  const envProblems: EnvProblem[] = [];
  const resolved = resolveEnvRefs(raw, env, envProblems);
  // A variable referenced only by a key RouteIQ ignores (`general_settings.database_url`) is not needed.
  const ignored = unknownKeyPaths(raw, knownKeys);
  const neededEnv = envProblems.filter((p) => !ignored.some((path) => isPrefix(path, p.path)));
  const problems = neededEnv.map(
    (p) =>
      `${formatIssuePath(p.path)}: environment variable ${p.name} is not set (referenced as os.environ/${p.name})`,
  );
  const parsed = configSchema.safeParse(resolved, { error: missingIsRequired });
  if (!parsed.success) {
    // A value left empty by an unset variable is reported once, as the variable, not also as "required".
    const unset = new Set(neededEnv.map((p) => formatIssuePath(p.path)));
    problems.push(
      ...describeIssues(parsed.error)
        .filter((p) => !unset.has(p.path))
        .map((p) => `${p.path}: ${p.message}`),
    );
    throw new ConfigError(source, problems);
  }
  const file = parsed.data;
  const deployments = file.model_list.map((entry, index) => toDeployment(entry, index, file, env, problems));
  assignIds(deployments);
  checkUniqueIds(deployments, problems);
  const groups = groupByModel(deployments);
  const fallbacks = fallbackMap(file.router_settings.fallbacks, "fallbacks", groups, problems);
  const contextWindowFallbacks = fallbackMap(
    file.router_settings.context_window_fallbacks,
    "context_window_fallbacks",
    groups,
    problems,
  );
  if (problems.length > 0) throw new ConfigError(source, problems);

  const rs = file.router_settings;
  return {
    config: {
      deployments,
      groups,
      router: {
        strategy: rs.routing_strategy,
        strategyArgs: rs.routing_strategy_args,
        numRetries: rs.num_retries ?? file.litellm_settings.num_retries ?? 2,
        retryAfterMs: rs.retry_after * 1000,
        allowedFails: rs.allowed_fails,
        cooldownMs: rs.cooldown_time * 1000,
      },
      fallbacks,
      contextWindowFallbacks,
      masterKey: file.general_settings.master_key ?? nonEmpty(env.LITELLM_MASTER_KEY),
      maxRequestBytes: Math.round(file.general_settings.max_request_size_mb * 1024 * 1024),
      maxParallelRequests: file.general_settings.global_max_parallel_requests,
      rateLimitFailMode: file.general_settings.rate_limit_fail_mode,
      metricsRequireAuth: file.litellm_settings.require_auth_for_metrics_endpoint,
      cache: parseCacheSettings(file.litellm_settings),
      keyCache: toKeyCacheSettings(file.general_settings),
    },
    warnings: unknownKeyWarnings(resolved, knownKeys),
  };
}

const isPrefix = (prefix: readonly PropertyKey[], path: readonly PropertyKey[]): boolean =>
  prefix.length <= path.length && prefix.every((key, index) => key === path[index]);

const nonEmpty = (value: string | undefined): string | undefined => (value === "" ? undefined : value);

type MutableDeployment = { -readonly [K in keyof Deployment]: Deployment[K] };

function toDeployment(
  entry: ModelEntry,
  index: number,
  file: GatewayConfigFile,
  env: Env,
  problems: string[],
): MutableDeployment {
  const p = entry.litellm_params;
  const info = entry.model_info ?? {};
  const slash = p.model.indexOf("/");
  const provider = p.model.slice(0, slash);
  const at = `model_list[${index}].litellm_params`;
  let apiBase = p.api_base;
  if (isOpenAICompatible(provider)) apiBase ??= openAICompatibleHosts[provider].apiBase;
  if (apiBase === undefined && (provider === "azure" || isOpenAICompatible(provider))) {
    problems.push(`${at}.api_base: required for provider "${provider}" (the server's base URL)`);
  }
  const keyEnv = defaultApiKeyEnv(provider);
  return {
    id: info.id ?? "",
    modelGroup: entry.model_name,
    provider,
    model: p.model.slice(slash + 1),
    apiBase: apiBase?.replace(/\/+$/, ""),
    apiKey: p.api_key ?? (keyEnv === undefined ? undefined : nonEmpty(env[keyEnv])),
    apiVersion: p.api_version ?? (provider === "azure" ? DEFAULT_AZURE_API_VERSION : undefined),
    organization: p.organization,
    rpm: p.rpm,
    tpm: p.tpm,
    weight: p.weight,
    timeoutMs:
      (p.timeout ?? file.router_settings.timeout ?? file.litellm_settings.request_timeout ?? 600) * 1000,
    maxRetries: p.max_retries,
    inputCostPerToken: info.input_cost_per_token,
    outputCostPerToken: info.output_cost_per_token,
    mode: info.mode,
    maxInputTokens: info.max_input_tokens,
    maxOutputTokens: info.max_output_tokens ?? info.max_tokens,
    extraHeaders: Object.freeze({ ...(p.extra_headers ?? {}) }),
    params: Object.freeze(Object.fromEntries(Object.entries(p).filter(([key]) => key.startsWith("mock_")))),
  };
}

/** Ids default to `<provider>/<model>`, suffixed `#2`, `#3`... when a group repeats one. */
function assignIds(deployments: MutableDeployment[]): void {
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

function checkUniqueIds(deployments: readonly Deployment[], problems: string[]): void {
  const seen = new Set<string>();
  deployments.forEach((d, index) => {
    const key = `${d.modelGroup}\u0000${d.id}`;
    if (seen.has(key)) problems.push(`model_list[${index}].model_info.id: duplicate deployment id "${d.id}"`);
    seen.add(key);
  });
}

function groupByModel(deployments: readonly Deployment[]): ReadonlyMap<string, readonly Deployment[]> {
  const groups = new Map<string, Deployment[]>();
  for (const d of deployments) {
    const list = groups.get(d.modelGroup);
    if (list === undefined) groups.set(d.modelGroup, [d]);
    else list.push(d);
  }
  return groups;
}

function fallbackMap(
  entries: readonly Record<string, string[]>[],
  name: string,
  groups: ReadonlyMap<string, unknown>,
  problems: string[],
): ReadonlyMap<string, readonly string[]> {
  const map = new Map<string, readonly string[]>();
  entries.forEach((entry, index) => {
    for (const [from, to] of Object.entries(entry)) {
      for (const group of [from, ...to]) {
        if (!groups.has(group)) {
          problems.push(
            `router_settings.${name}[${index}].${from}: unknown model group "${group}"; known: ${[...groups.keys()].join(", ")}`,
          );
        }
      }
      map.set(from, to);
    }
  });
  return map;
}
