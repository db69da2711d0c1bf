import type { Env } from "../../shared/config/load";

/** The OTLP trace export the standard `OTEL_*` variables describe; undefined when tracing is off. */
export interface OtelSettings {
  readonly url: string;
  readonly protocol: "http/protobuf" | "http/json";
  readonly headers: Readonly<Record<string, string>>;
  readonly serviceName: string;
  /** `OTEL_TRACES_SAMPLER` and its argument. */
  readonly sampler: { readonly name: string; readonly arg: number | undefined };
  /** OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: prompts and completions on spans. */
  readonly captureContent: boolean;
}

const SAMPLERS = new Set([
  "always_on",
  "always_off",
  "traceidratio",
  "parentbased_always_on",
  "parentbased_always_off",
  "parentbased_traceidratio",
]);

/** `k1=v1,k2=v2`, values URL-decoded, as OTEL_EXPORTER_OTLP_HEADERS is written. */
function parseHeaders(text: string | undefined, name: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const pair of (text ?? "").split(",")) {
    if (pair.trim() === "") continue;
    const at = pair.indexOf("=");
    if (at <= 0) throw new Error(`${name}: expected key=value pairs separated by commas`);
    headers[decodeURIComponent(pair.slice(0, at).trim())] = decodeURIComponent(pair.slice(at + 1).trim());
  }
  return headers;
}

const set = (value: string | undefined): string | undefined =>
  value === undefined || value.trim() === "" ? undefined : value.trim();

/**
 * Reads the OpenTelemetry SDK's standard variables. Tracing is on only when an OTLP endpoint is
 * set (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or OTEL_EXPORTER_OTLP_ENDPOINT) and neither
 * OTEL_SDK_DISABLED nor OTEL_TRACES_EXPORTER=none turns it off. A bad value names its variable.
 */
export function otelSettings(env: Env): OtelSettings | undefined {
  if (set(env.OTEL_SDK_DISABLED)?.toLowerCase() === "true") return undefined;
  const exporter = set(env.OTEL_TRACES_EXPORTER) ?? "otlp";
  if (exporter === "none") return undefined;
  if (exporter !== "otlp")
    throw new Error(`OTEL_TRACES_EXPORTER: only "otlp" or "none" is supported, got "${exporter}"`);
  const traces = set(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
  const base = set(env.OTEL_EXPORTER_OTLP_ENDPOINT);
  if (traces === undefined && base === undefined) return undefined;
  const url = traces ?? `${(base as string).replace(/\/+$/, "")}/v1/traces`;
  if (!URL.canParse(url)) throw new Error(`OTEL_EXPORTER_OTLP_ENDPOINT: "${url}" is not a URL`);
  const protocol =
    set(env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL) ?? set(env.OTEL_EXPORTER_OTLP_PROTOCOL) ?? "http/protobuf";
  if (protocol !== "http/protobuf" && protocol !== "http/json")
    throw new Error(
      `OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf" or "http/json" (grpc is not supported), got "${protocol}"`,
    );
  const sampler = set(env.OTEL_TRACES_SAMPLER) ?? "parentbased_always_on";
  if (!SAMPLERS.has(sampler))
    throw new Error(`OTEL_TRACES_SAMPLER: one of ${[...SAMPLERS].join(", ")}, got "${sampler}"`);
  const rawArg = set(env.OTEL_TRACES_SAMPLER_ARG);
  const arg = rawArg === undefined ? undefined : Number(rawArg);
  if (arg !== undefined && !(arg >= 0 && arg <= 1))
    throw new Error(`OTEL_TRACES_SAMPLER_ARG: a ratio from 0 to 1, got "${rawArg}"`);
  return {
    url,
    protocol,
    headers: {
      ...parseHeaders(env.OTEL_EXPORTER_OTLP_HEADERS, "OTEL_EXPORTER_OTLP_HEADERS"),
      ...parseHeaders(env.OTEL_EXPORTER_OTLP_TRACES_HEADERS, "OTEL_EXPORTER_OTLP_TRACES_HEADERS"),
    },
    serviceName: set(env.OTEL_SERVICE_NAME) ?? "routeiq-gateway",
    sampler: { name: sampler, arg },
    captureContent: set(env.OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT)?.toLowerCase() === "true",
  };
}
