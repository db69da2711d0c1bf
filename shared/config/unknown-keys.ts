import { formatIssuePath } from "../validation/issue-path";
import { ignoredKeyHint } from "./ignored-key-hints";

type KnownKeys = Readonly<
  Record<
    | "root"
    | "model_list"
    | "litellm_params"
    | "model_info"
    | "router_settings"
    | "general_settings"
    | "litellm_settings"
    | "cache_params",
    readonly string[]
  >
>;

/** Paths of keys the gateway does not read, e.g. `["router_settings", "redis_host"]`. */
export function unknownKeyPaths(raw: unknown, known: KnownKeys): PropertyKey[][] {
  const paths: PropertyKey[][] = [];
  const check = (value: unknown, keys: readonly string[], path: readonly PropertyKey[]) => {
    if (value === null || typeof value !== "object" || Array.isArray(value)) return;
    for (const key of Object.keys(value)) {
      if (!keys.includes(key)) paths.push([...path, key]);
    }
  };
  const root = (raw ?? {}) as Record<string, unknown>;
  check(root, known.root, []);
  for (const section of ["router_settings", "general_settings", "litellm_settings"] as const) {
    check(root[section], known[section], [section]);
  }
  // LiteLLM's settings for caches RouteIQ does not have (s3_bucket_name, similarity_threshold...).
  const litellmSettings = (root.litellm_settings ?? {}) as Record<string, unknown>;
  check(litellmSettings.cache_params, known.cache_params, ["litellm_settings", "cache_params"]);
  if (Array.isArray(root.model_list)) {
    root.model_list.forEach((entry: unknown, index) => {
      check(entry, known.model_list, ["model_list", index]);
      const e = (entry ?? {}) as Record<string, unknown>;
      check(e.litellm_params, known.litellm_params, ["model_list", index, "litellm_params"]);
      check(e.model_info, known.model_info, ["model_list", index, "model_info"]);
    });
  }
  return paths;
}

/** LiteLLM's callback lists: RouteIQ runs none of them, but has its own equivalent of some. */
const CALLBACK_SETTINGS = Object.freeze(["success_callback", "failure_callback", "callbacks"]);

const LOGS_INSTEAD =
  "RouteIQ logs one JSON line per request (ship it with your log collector) and keeps spend rows in routeiq_spend_logs (GET /spend/logs)";
const TRACES_INSTEAD = "RouteIQ has no tracing yet; use its Prometheus /metrics and per-request log lines";

/** What to use instead of a callback RouteIQ does not have; `null` for one it has built in. */
const CALLBACK_INSTEAD: Readonly<Record<string, string | null>> = Object.freeze({
  // `/metrics` is always served, with LiteLLM's metric names.
  prometheus: null,
  otel: TRACES_INSTEAD,
  opentelemetry: TRACES_INSTEAD,
  arize: TRACES_INSTEAD,
  datadog: TRACES_INSTEAD,
  sentry: "RouteIQ logs failures at warn and error; alert on those lines, or on /metrics' failure counters",
});

const callbackNames = (value: unknown): unknown[] => (Array.isArray(value) ? value : [value]);

/** The warning for one ignored key: callbacks name each one RouteIQ lacks and what to use instead. */
function warningFor(path: PropertyKey[], raw: unknown): string[] {
  const [section, key] = path;
  if (section !== "litellm_settings" || path.length !== 2 || !CALLBACK_SETTINGS.includes(String(key))) {
    const hint = ignoredKeyHint(path);
    return [`${formatIssuePath(path)}: not used by RouteIQ, ignored${hint === undefined ? "" : `; ${hint}`}`];
  }
  const value = ((raw ?? {}) as { litellm_settings: Record<string, unknown> }).litellm_settings[String(key)];
  return callbackNames(value).flatMap((name) => {
    const instead =
      typeof name === "string" && Object.hasOwn(CALLBACK_INSTEAD, name)
        ? CALLBACK_INSTEAD[name]
        : LOGS_INSTEAD;
    if (instead === null) return [];
    const shown = typeof name === "string" ? JSON.stringify(name) : "an entry that is not a callback name";
    return [`${formatIssuePath(path)}: ${shown} is not available in RouteIQ, ignored; ${instead}`];
  });
}

/**
 * Keys the gateway does not read, e.g. `router_settings.redis_host`: tolerated, worth a warning
 * that says what to use instead when RouteIQ has an equivalent. Callback lists warn per callback
 * RouteIQ lacks, and not at all for `prometheus`, which it serves.
 */
export function unknownKeyWarnings(raw: unknown, known: KnownKeys): string[] {
  return unknownKeyPaths(raw, known).flatMap((path) => warningFor(path, raw));
}
