import { formatIssuePath } from "../validation/issue-path";
import { ignoredKeyHint } from "./ignored-key-hints";

type Env = Readonly<Record<string, string | undefined>>;

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
const OTLP =
  "RouteIQ exports OpenTelemetry traces over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set in the gateway's environment";
const TRACES_INSTEAD = `${OTLP}; point it at a collector that forwards to this service`;
/** `otel` with tracing off: LiteLLM's own OTEL_EXPORTER and OTEL_ENDPOINT are not read. */
const TRACING_OFF = `ignored while tracing is off; ${OTLP} (LiteLLM's OTEL_EXPORTER and OTEL_ENDPOINT are not read)`;

/** What to use instead of a callback RouteIQ does not have; `null` for one it has built in. */
const CALLBACK_INSTEAD: Readonly<Record<string, string | null>> = Object.freeze({
  // `/metrics` is always served, with LiteLLM's metric names.
  prometheus: null,
  arize: TRACES_INSTEAD,
  datadog: TRACES_INSTEAD,
  sentry: "RouteIQ logs failures at warn and error; alert on those lines, or on /metrics' failure counters",
});

/** LiteLLM's names for its OpenTelemetry callback, which RouteIQ's own tracing stands for. */
const OTEL_CALLBACKS: ReadonlySet<string> = new Set(["otel", "opentelemetry"]);

const setIn = (env: Env, name: string): boolean => (env[name] ?? "").trim() !== "";

/**
 * Whether the environment turns the gateway's trace export on, as functions/gateway/otel-env.ts
 * reads it: an OTLP endpoint, not switched off by OTEL_SDK_DISABLED or OTEL_TRACES_EXPORTER=none.
 */
function tracingOn(env: Env): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === "true") return false;
  if (env.OTEL_TRACES_EXPORTER?.trim() === "none") return false;
  return setIn(env, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") || setIn(env, "OTEL_EXPORTER_OTLP_ENDPOINT");
}

/** What to say about one callback name, after its path; `null`: nothing, RouteIQ does it. */
function callbackWarning(name: unknown, env: Env): string | null {
  if (typeof name !== "string")
    return `an entry that is not a callback name is not available in RouteIQ, ignored; ${LOGS_INSTEAD}`;
  if (OTEL_CALLBACKS.has(name)) return tracingOn(env) ? null : `${JSON.stringify(name)}: ${TRACING_OFF}`;
  const instead = Object.hasOwn(CALLBACK_INSTEAD, name) ? CALLBACK_INSTEAD[name] : LOGS_INSTEAD;
  return instead === null || instead === undefined
    ? null
    : `${JSON.stringify(name)} is not available in RouteIQ, ignored; ${instead}`;
}

const callbackNames = (value: unknown): unknown[] => (Array.isArray(value) ? value : [value]);

/** The warning for one ignored key: callbacks name each one RouteIQ lacks and what to use instead. */
function warningFor(path: PropertyKey[], raw: unknown, env: Env): string[] {
  const [section, key] = path;
  if (section !== "litellm_settings" || path.length !== 2 || !CALLBACK_SETTINGS.includes(String(key))) {
    const hint = ignoredKeyHint(path);
    return [`${formatIssuePath(path)}: not used by RouteIQ, ignored${hint === undefined ? "" : `; ${hint}`}`];
  }
  const value = ((raw ?? {}) as { litellm_settings: Record<string, unknown> }).litellm_settings[String(key)];
  return callbackNames(value).flatMap((name) => {
    const warning = callbackWarning(name, env);
    return warning === null ? [] : [`${formatIssuePath(path)}: ${warning}`];
  });
}

/**
 * Keys the gateway does not read, e.g. `router_settings.redis_host`: tolerated, worth a warning
 * that says what to use instead when RouteIQ has an equivalent. Callback lists warn per callback
 * RouteIQ lacks, not at all for `prometheus`, which it serves, nor for `otel` when `env` turns
 * the gateway's tracing on (and with how to turn it on when it does not).
 */
export function unknownKeyWarnings(raw: unknown, known: KnownKeys, env: Env = {}): string[] {
  return unknownKeyPaths(raw, known).flatMap((path) => warningFor(path, raw, env));
}
