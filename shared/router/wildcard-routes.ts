import type { Deployment } from "../config/deployment";
import { catalogueModels, providerOfModel } from "../config/model-catalogue";
import type { RuntimeConfig } from "../config/runtime-config";
import { GatewayError, UpstreamError } from "../errors";

/** A `model_name` with `*` in it (`*`, `openai/*`, `claude-*`): a route for every name it matches. */
export interface WildcardRoute {
  /** The `model_name` as written; also the name of its model group. */
  readonly pattern: string;
  /** Anchored; one capture per `*`. */
  readonly matcher: RegExp;
}

export const isWildcard = (name: string): boolean => name.includes("*");

/** How many `*` a pattern or a model template holds. */
export const wildcardCount = (text: string): number => text.split("*").length - 1;

export function compileWildcard(pattern: string): WildcardRoute {
  const source = pattern
    .split("*")
    .map((literal) => literal.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
    .join("(.+)");
  return { pattern, matcher: new RegExp(`^${source}$`) };
}

/**
 * The wildcard routes of a config, most specific first (longest pattern, as LiteLLM orders them),
 * config order breaking ties: `openai/gpt-4*` is tried before `openai/*`, and that before `*`.
 */
export function wildcardRoutes(groupNames: Iterable<string>): readonly WildcardRoute[] {
  return Object.freeze(
    [...groupNames]
      .filter(isWildcard)
      .map(compileWildcard)
      .sort((a, b) => b.pattern.length - a.pattern.length),
  );
}

/**
 * What a client-chosen name may be to reach a provider through a wildcard: model-name characters
 * only, bounded, and no `.` or `..` path segment, since some providers (Azure) put the model in
 * the request path, where a dot segment would walk out of it.
 */
const ROUTABLE_NAME = /^[A-Za-z0-9._:@+-]+(?:\/[A-Za-z0-9._:@+-]+)*$/;
const MAX_NAME_LENGTH = 256;
const routable = (name: string): boolean =>
  name.length <= MAX_NAME_LENGTH &&
  ROUTABLE_NAME.test(name) &&
  !name.split("/").some((segment) => segment === "." || segment === "..");

export interface ResolvedModel {
  /** The model group that serves the name: the name itself, or the wildcard pattern it matched. */
  readonly group: string;
  /** The group's deployments, each with the requested model in place of its `*`. */
  readonly deployments: readonly Deployment[];
  /** `config` with the group's deployments resolved: what routing and pricing read. */
  readonly config: RuntimeConfig;
}

/** The group's template deployments for one request: the captured parts fill `*` in order. */
function concrete(d: Deployment, captures: readonly string[], pattern: string): Deployment {
  let i = 0;
  const model = d.model.replace(/\*/g, () => captures[i++] ?? "");
  return { ...d, model, wildcard: pattern };
}

/**
 * Which model group serves `name`, as LiteLLM resolves it: a configured `model_name` first, then
 * the most specific wildcard route matching the name, then (for a well-known model asked for
 * without its provider, `gpt-4o`) one matching `<provider>/<name>`. The requested name is passed
 * through to the provider: `openai/*` serves `openai/gpt-4o` with model `gpt-4o`.
 */
export function resolveModel(config: RuntimeConfig, name: string): ResolvedModel | undefined {
  if (!isWildcard(name)) {
    const exact = config.groups.get(name);
    if (exact !== undefined) return { group: name, deployments: exact, config };
  }
  if (config.wildcards.length === 0 || !routable(name)) return undefined;
  const provider = providerOfModel(name);
  const candidates = provider === undefined ? [name] : [name, `${provider}/${name}`];
  for (const candidate of candidates) {
    for (const route of config.wildcards) {
      const match = route.matcher.exec(candidate);
      if (match === null) continue;
      const deployments = (config.groups.get(route.pattern) ?? []).map((d) =>
        concrete(d, match.slice(1), route.pattern),
      );
      const groups = new Map(config.groups).set(route.pattern, deployments);
      return { group: route.pattern, deployments, config: { ...config, groups } };
    }
  }
  return undefined;
}

/**
 * What `/v1/models` lists, as LiteLLM does: every `model_name` (wildcard patterns too), then for
 * a provider wildcard (`openai/*`, `anthropic/claude-*`) the catalogue's models of its provider
 * that the pattern matches, written as a client would ask for them (`openai/gpt-4o`).
 */
export function listedModels(config: RuntimeConfig): string[] {
  const names = new Set(config.groups.keys());
  for (const route of config.wildcards) {
    const slash = route.pattern.indexOf("/");
    if (slash <= 0) continue;
    const prefix = route.pattern.slice(0, slash);
    for (const d of config.groups.get(route.pattern) ?? []) {
      for (const model of catalogueModels(d.provider)) {
        const name = model.startsWith(`${prefix}/`) ? model : `${prefix}/${model}`;
        if (route.matcher.test(name)) names.add(name);
      }
    }
  }
  return [...names];
}

/**
 * For a deployment resolved from a wildcard, an upstream 404 is about the name the client chose,
 * not the deployment: it reaches the client as `model_not_found` at once, never retried and never
 * counted against the deployment, so no one can cool a wildcard route down for everyone by
 * asking for models that do not exist.
 */
export function forRequestedModel<T>(d: Deployment, result: Promise<T>): Promise<T> {
  if (d.wildcard === undefined) return result;
  return result.catch((error: unknown) => {
    if (error instanceof UpstreamError && error.kind === "http" && error.status === 404) {
      throw new GatewayError({
        status: 404,
        type: "invalid_request_error",
        code: "model_not_found",
        param: "model",
        message: `model "${d.model}" was not found at ${d.provider} (served by the wildcard route "${d.wildcard}"): ${error.message}`,
      });
    }
    throw error;
  });
}
