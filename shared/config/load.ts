import { parseDocument } from "yaml";
import { cacheParamsWarnings, parseCacheSettings } from "../cache/settings";
import { routeFilter } from "../http/allowed-routes";
import { OUTBOUND_ALLOWLIST, type OutboundPolicy, outboundPolicy } from "../http/outbound-url-policy";
import { toKeyCacheSettings } from "../keys/key-cache-settings";
import { toResponsesSettings } from "../responses-api/settings";
import { describeIssues, missingIsRequired } from "../validation/describe-issues";
import { formatIssuePath } from "../validation/issue-path";
import type { Deployment } from "./deployment";
import { resolveEnvRefs } from "./env-refs";
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
/**
 * How far aliases (`*anchor`) may multiply a document (an anchor and 99 uses of it), pinned rather
 * than left to the library's default: every alias is walked again by what reads the config, so a
 * few nested aliases ("billion laughs") would otherwise expand a small file into gigabytes.
 */
const MAX_ALIAS_COUNT = 100;

type Path = readonly PropertyKey[];

/**
 * Says where a value came from instead of showing it, for fields read from the environment:
 * `(value of os.environ/NAME)`. Every message that could echo a config value goes through it.
 */
type FromEnv = (path: Path) => string | undefined;

/** Parses and validates a LiteLLM-style YAML (or JSON) config; throws ConfigError listing every problem. */
export function loadConfig(text: string, env: Env, source = "config.yaml"): LoadedConfig {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    throw new ConfigError(
      source,
      doc.errors.map((e) => `yaml: ${e.message.split("\n")[0]}`),
    );
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) ?? {};
  } catch (error) {
    throw new ConfigError(source, [`yaml: ${error instanceof Error ? error.message : String(error)}`]);
  }
  // An editor that truncates before writing leaves an empty file for a moment: serving it would
  // drop every model and the master key, so it is refused like any other invalid config.
  if (isEmptyConfig(raw)) {
    throw new ConfigError(source, [
      "config is empty: expected a LiteLLM config (model_list, general_settings, ...)",
    ]);
  }
  const unsafe = unsafeStructure(raw);
  if (unsafe !== undefined) throw new ConfigError(source, [unsafe]);
  // A variable referenced only by a key RouteIQ ignores (`router_settings.redis_password`) is never read.
  const ignored = unknownKeyPaths(raw, knownKeys);
  const resolved = resolveEnvRefs(raw, env, ignored);
  const fromEnvField = (field: string) => {
    const name = resolved.names.get(field);
    return name === undefined ? undefined : `(value of os.environ/${name})`;
  };
  const fromEnv: FromEnv = (path) => fromEnvField(formatIssuePath(path));
  const problems = resolved.problems.map((p) => `${formatIssuePath(p.path)}: ${p.message}`);
  let outbound: OutboundPolicy = outboundPolicy(undefined);
  try {
    outbound = outboundPolicy(env[OUTBOUND_ALLOWLIST]);
  } catch (error) {
    problems.push(error instanceof Error ? error.message : String(error));
  }
  const parsed = configSchema.safeParse(resolved.value, { error: missingIsRequired });
  if (!parsed.success) {
    // A value left empty by a refused or unset variable is reported once, as the variable, not also as "required".
    const reported = new Set(resolved.problems.map((p) => formatIssuePath(p.path)));
    problems.push(
      ...describeIssues(parsed.error)
        .filter((p) => !reported.has(p.path))
        .map((p) => [`${p.path}: ${p.message}`, fromEnvField(p.path)].filter(Boolean).join(" ")),
    );
    throw new ConfigError(source, problems);
  }
  const file = parsed.data;
  const deployments = file.model_list.map((entry, index) =>
    toDeployment(entry, index, file, env, { outbound, fromEnv, problems }),
  );
  assignIds(deployments);
  checkUniqueIds(deployments, file.model_list, fromEnv, problems);
  const groups = groupByModel(deployments);
  const known = [...groups.keys()].map(
    (group) =>
      fromEnv(["model_list", file.model_list.findIndex((e) => e.model_name === group), "model_name"]) ??
      group,
  );
  const fallbacks = fallbackMap(
    file.router_settings.fallbacks,
    "fallbacks",
    groups,
    known,
    fromEnv,
    problems,
  );
  const contextWindowFallbacks = fallbackMap(
    file.router_settings.context_window_fallbacks,
    "context_window_fallbacks",
    groups,
    known,
    fromEnv,
    problems,
  );
  if (problems.length > 0) throw new ConfigError(source, problems);

  const rs = file.router_settings;
  const ga = file.general_settings;
  const ls = file.litellm_settings;
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
      responses: toResponsesSettings(file.general_settings),
      allowedRoutes: ga.allowed_routes === undefined ? undefined : routeFilter(ga.allowed_routes),
      // LiteLLM reads a max_budget of 0 (its default) as no budget.
      proxyBudget:
        ls.max_budget !== undefined && ls.max_budget > 0
          ? { maxBudget: ls.max_budget, budgetDuration: ls.budget_duration }
          : undefined,
    },
    warnings: [...unknownKeyWarnings(raw, knownKeys), ...cacheParamsWarnings(file.litellm_settings)],
  };
}

/**
 * The first thing in the parsed document that no later step can walk safely: a `__proto__` key
 * (the YAML library keeps it as a plain own key, but the first copy made by assignment would turn
 * it into the prototype of its section, and everything under it into inherited defaults, a
 * `master_key` say, that no schema sees), or an alias inside the node it names (a cycle).
 */
function unsafeStructure(
  value: unknown,
  path: PropertyKey[] = [],
  open = new Set<object>(),
): string | undefined {
  if (value === null || typeof value !== "object") return undefined;
  if (open.has(value)) return `${formatIssuePath(path)}: an alias must not refer to a node that contains it`;
  open.add(value);
  for (const [key, item] of Object.entries(value)) {
    const at = [...path, Array.isArray(value) ? Number(key) : key];
    if (key === "__proto__") return `${formatIssuePath(at)}: "__proto__" is not allowed as a key`;
    const found = unsafeStructure(item, at, open);
    if (found !== undefined) return found;
  }
  open.delete(value);
  return undefined;
}

const isEmptyConfig = (raw: unknown): boolean =>
  raw !== null && typeof raw === "object" && !Array.isArray(raw) && Object.keys(raw).length === 0;

const nonEmpty = (value: string | undefined): string | undefined => (value === "" ? undefined : value);

type MutableDeployment = { -readonly [K in keyof Deployment]: Deployment[K] };

function toDeployment(
  entry: ModelEntry,
  index: number,
  file: GatewayConfigFile,
  env: Env,
  check: { outbound: OutboundPolicy; fromEnv: FromEnv; problems: string[] },
): MutableDeployment {
  const { problems } = check;
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
  const refused = apiBase === undefined ? undefined : check.outbound.refuseUrl(apiBase);
  if (refused !== undefined) {
    const shown = check.fromEnv(["model_list", index, "litellm_params", "api_base"]) ?? `"${apiBase}"`;
    problems.push(`${at}.api_base: ${shown} is refused: ${refused}`);
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

function checkUniqueIds(
  deployments: readonly Deployment[],
  entries: readonly ModelEntry[],
  fromEnv: FromEnv,
  problems: string[],
): void {
  const seen = new Set<string>();
  deployments.forEach((d, index) => {
    const key = `${d.modelGroup}\u0000${d.id}`;
    if (seen.has(key)) {
      // An id not written out is the model string, which may have come from the environment.
      const source =
        entries[index]?.model_info?.id === undefined ? ["litellm_params", "model"] : ["model_info", "id"];
      const shown = fromEnv(["model_list", index, ...source]) ?? `"${d.id}"`;
      problems.push(`model_list[${index}].model_info.id: duplicate deployment id ${shown}`);
    }
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
  known: readonly string[],
  fromEnv: FromEnv,
  problems: string[],
): ReadonlyMap<string, readonly string[]> {
  const map = new Map<string, readonly string[]>();
  entries.forEach((entry, index) => {
    for (const [from, to] of Object.entries(entry)) {
      const at = ["router_settings", name, index, from];
      // The key is never read from the environment; the list's entries may be.
      const named: [string, string | undefined][] = [
        [from, undefined],
        ...to.map((group, j): [string, string | undefined] => [group, fromEnv([...at, j])]),
      ];
      for (const [group, shown] of named) {
        if (!groups.has(group)) {
          problems.push(
            `${formatIssuePath(at)}: unknown model group ${shown ?? `"${group}"`}; known: ${known.join(", ")}`,
          );
        }
      }
      map.set(from, to);
    }
  });
  return map;
}
