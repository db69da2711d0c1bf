import { parseDocument } from "yaml";
import type { z } from "zod";
import { cacheParamsWarnings, parseCacheSettings } from "../cache/settings";
import { routeFilter } from "../http/allowed-routes";
import {
  OUTBOUND_ALLOWLIST,
  type OutboundPolicy,
  outboundPolicy,
  registeredUrlPolicy,
} from "../http/outbound-url-policy";
import { toKeyCacheSettings } from "../keys/key-cache-settings";
import { toLearnedRouting } from "../learned/settings";
import { configMcpServers } from "../mcp/config-servers";
import { toResponsesSettings } from "../responses-api/settings";
import { isWildcard, wildcardRoutes } from "../router/wildcard-routes";
import { describeIssues, missingIsRequired } from "../validation/describe-issues";
import { formatIssuePath } from "../validation/issue-path";
import { resolveEnvRefs } from "./env-refs";
import { deploymentsOf, type FromEnv, type IndexedEntry } from "./model-list";
import type { RuntimeConfig } from "./runtime-config";
import {
  configSchema,
  type GatewayConfigFile,
  knownKeys,
  type LitellmSettings,
  litellmSettingsSchema,
  modelEntrySchema,
  type RouterSettings,
  routerSettingsSchema,
} from "./schema";
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

/** LiteLLM's default request timeout, in seconds. */
const DEFAULT_TIMEOUT_SECONDS = 600;
/**
 * How far aliases (`*anchor`) may multiply a document (an anchor and 99 uses of it), pinned rather
 * than left to the library's default: every alias is walked again by what reads the config, so a
 * few nested aliases ("billion laughs") would otherwise expand a small file into gigabytes.
 */
const MAX_ALIAS_COUNT = 100;

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
  let registered: OutboundPolicy = outboundPolicy(undefined, { refusePrivate: true });
  try {
    outbound = outboundPolicy(env[OUTBOUND_ALLOWLIST]);
    registered = registeredUrlPolicy(env);
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
  }
  // The checks that need the whole config run on what passed the schema, so one run reports
  // every problem: a bad rpm in one entry does not hide an unknown fallback group in another.
  const sections = parsed.success ? sectionsOf(parsed.data) : partialSections(resolved.value);
  const { deployments, groups } = deploymentsOf(sections.entries, {
    env,
    outbound,
    fromEnv,
    defaultTimeoutSeconds:
      sections.router?.timeout ?? sections.litellm?.request_timeout ?? DEFAULT_TIMEOUT_SECONDS,
    problems,
  });
  // Each group once, shown as its first entry writes it.
  const firsts = new Map<string, number>();
  for (const { name, index } of sections.names) if (!firsts.has(name)) firsts.set(name, index);
  const known = [...firsts].map(([name, index]) => fromEnv(["model_list", index, "model_name"]) ?? name);
  const groupNames = new Set(firsts.keys());
  const fallbacksOf = (name: "fallbacks" | "context_window_fallbacks") =>
    fallbackMap(sections.router?.[name] ?? [], name, groupNames, known, fromEnv, problems);
  const fallbacks = fallbacksOf("fallbacks");
  const contextWindowFallbacks = fallbacksOf("context_window_fallbacks");
  const learnedRouting = parsed.success
    ? toLearnedRouting(parsed.data.learned_routing, groups, problems)
    : undefined;
  const mcpServers = parsed.success ? configMcpServers(parsed.data.mcp_servers, registered, problems) : [];
  if (!parsed.success || problems.length > 0) throw new ConfigError(source, problems);

  const file = parsed.data;
  const rs = file.router_settings;
  const ga = file.general_settings;
  const ls = file.litellm_settings;
  return {
    config: {
      deployments,
      groups,
      wildcards: wildcardRoutes(groups.keys()),
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
      databaseUrl: ga.database_url,
      storeModelInDb: ga.store_model_in_db,
      spendLogRetention: ga.maximum_spend_logs_retention_period,
      learnedRouting,
      mcpServers,
    },
    warnings: [...unknownKeyWarnings(raw, knownKeys, env), ...cacheParamsWarnings(file.litellm_settings)],
  };
}

/** What the whole-config checks read: each part present only when it passed the schema. */
interface Sections {
  readonly entries: readonly IndexedEntry[];
  /** Every `model_name` written, valid entry or not: a fallback to one is not "unknown". */
  readonly names: readonly { readonly name: string; readonly index: number }[];
  readonly router: RouterSettings | undefined;
  readonly litellm: LitellmSettings | undefined;
}

function sectionsOf(file: GatewayConfigFile): Sections {
  return {
    entries: file.model_list.map((entry, index) => ({ entry, index })),
    names: file.model_list.map((entry, index) => ({ name: entry.model_name, index })),
    router: file.router_settings,
    litellm: file.litellm_settings,
  };
}

/** Each section and each model entry validated on its own, after the whole config failed. */
function partialSections(value: unknown): Sections {
  const root = isRecord(value) ? value : {};
  const list = Array.isArray(root.model_list) ? (root.model_list as unknown[]) : [];
  const valid = <T>(schema: z.ZodType<T>, part: unknown): T | undefined => {
    const result = schema.safeParse(part ?? {});
    return result.success ? result.data : undefined;
  };
  return {
    entries: list.flatMap((item, index) => {
      const entry = valid(modelEntrySchema, item);
      return entry === undefined ? [] : [{ entry, index }];
    }),
    names: list.flatMap((item, index) => {
      const name = isRecord(item) ? item.model_name : undefined;
      return typeof name === "string" ? [{ name, index }] : [];
    }),
    router: valid(routerSettingsSchema, root.router_settings),
    litellm: valid(litellmSettingsSchema, root.litellm_settings),
  };
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === "object" && !Array.isArray(value);

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

function fallbackMap(
  entries: readonly Record<string, string[]>[],
  name: string,
  groups: ReadonlySet<string>,
  known: readonly string[],
  fromEnv: FromEnv,
  problems: string[],
): ReadonlyMap<string, readonly string[]> {
  const map = new Map<string, readonly string[]>();
  entries.forEach((entry, index) => {
    for (const [from, to] of Object.entries(entry)) {
      const at = ["router_settings", name, index, from];
      // The key is never read from the environment; the list's entries may be.
      const named: [string, string | undefined, boolean][] = [
        [from, undefined, false],
        ...to.map((group, j): [string, string | undefined, boolean] => [group, fromEnv([...at, j]), true]),
      ];
      for (const [group, shown, isTarget] of named) {
        if (!groups.has(group)) {
          problems.push(
            `${formatIssuePath(at)}: unknown model group ${shown ?? `"${group}"`}; known: ${known.join(", ")}`,
          );
        } else if (isTarget && isWildcard(group)) {
          // A wildcard group serves the name a client asked for; as a fallback it has none.
          problems.push(
            `${formatIssuePath(at)}: ${shown ?? `"${group}"`} is a wildcard route; a fallback must name a model group`,
          );
        }
      }
      map.set(from, to);
    }
  });
  return map;
}
