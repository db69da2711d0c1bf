import type { MiddlewareHandler } from "hono";
import { forbidden } from "../errors";
import type { GatewayEnv } from "./env";

const openAI = [
  "/chat/completions",
  "/completions",
  "/embeddings",
  "/models",
  "/responses",
  "/responses/{response_id}",
  "/responses/{response_id}/input_items",
].flatMap((path) => [path, `/v1${path}`]);
const anthropic = ["/v1/messages", "/messages"];
const keyInfo = ["/key/info", "/key/health", "/key/list"];
const keyManagement = [
  "/key/generate",
  "/key/update",
  "/key/delete",
  "/key/block",
  "/key/unblock",
  "/key/regenerate",
  "/key/{key}/regenerate",
];
const teamManagement = [
  "/team/new",
  "/team/update",
  "/team/delete",
  "/team/info",
  "/team/list",
  "/team/member_add",
  "/team/member_delete",
];
const userManagement = ["/user/new", "/user/update", "/user/delete", "/user/info", "/user/list"];

/**
 * LiteLLM's route groups, as the routes RouteIQ serves in each. `allowed_routes` may name a group
 * instead of its routes, bare or as LiteLLM writes its enum (`LiteLLMRoutes.openai_routes`).
 */
export const ROUTE_GROUPS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  openai_routes: openAI,
  anthropic_routes: anthropic,
  llm_api_routes: [...openAI, ...anthropic],
  info_routes: [...keyInfo, "/team/info", "/team/list", "/user/info", "/health"],
  management_routes: [...keyInfo, ...keyManagement, ...teamManagement, ...userManagement],
  spend_tracking_routes: ["/spend/keys", "/spend/logs"],
  global_spend_tracking_routes: ["/global/spend", "/global/spend/models"],
  // Served to anyone whatever the list says; named so that LiteLLM's examples load.
  public_routes: ["/_health/live", "/_health/ready", "/health/liveliness", "/health/readiness", "/metrics"],
});

const ENUM_PREFIX = "LiteLLMRoutes.";

/** Why an `allowed_routes` entry cannot be used, or undefined when it can. */
export function allowedRouteProblem(entry: string): string | undefined {
  const group = entry.startsWith(ENUM_PREFIX) ? entry.slice(ENUM_PREFIX.length) : entry;
  if (entry.startsWith("/") || Object.hasOwn(ROUTE_GROUPS, group)) return undefined;
  return `expected a path such as "/chat/completions" or a route group: ${Object.keys(ROUTE_GROUPS).join(", ")}`;
}

/** Whether a request path is one of the served routes. */
export type RouteFilter = (path: string) => boolean;

/** `/key/{key}/regenerate`: a `{name}` segment stands for any one segment, as in LiteLLM's route lists. */
function matcher(route: string): RouteFilter {
  const segments = route.split("/");
  if (!segments.some((s) => /^\{[^/{}]+\}$/.test(s))) return (path) => path === route;
  return (path) => {
    const given = path.split("/");
    return (
      given.length === segments.length &&
      segments.every((s, i) => (/^\{[^/{}]+\}$/.test(s) ? given[i] !== "" : s === given[i]))
    );
  };
}

/**
 * `general_settings.allowed_routes` as LiteLLM means it: the gateway serves only these routes, each
 * matched exactly (`/chat/completions` does not admit `/v1/chat/completions`), to every caller,
 * master key included. Entries must have passed `allowedRouteProblem`.
 */
export function routeFilter(entries: readonly string[]): RouteFilter {
  const routes = entries.flatMap((entry) => {
    const group = entry.startsWith(ENUM_PREFIX) ? entry.slice(ENUM_PREFIX.length) : entry;
    return Object.hasOwn(ROUTE_GROUPS, group) ? (ROUTE_GROUPS[group] as readonly string[]) : [entry];
  });
  const exact = new Set(routes.filter((route) => !route.includes("{")));
  const patterns = routes.filter((route) => route.includes("{")).map(matcher);
  return (path) => exact.has(path) || patterns.some((matches) => matches(path));
}

/**
 * Refuses (403) a route the config does not serve, before authentication, as LiteLLM does: the
 * routes mounted ahead of it (probes, `/metrics`) are LiteLLM's public routes and never refused.
 */
export const allowedRoutes = (filter: () => RouteFilter | undefined): MiddlewareHandler<GatewayEnv> =>
  async function allowedRoutes(c, next) {
    const allows = filter();
    if (allows !== undefined && !allows(c.req.path)) {
      throw forbidden(
        "route_not_allowed",
        `${c.req.method} ${c.req.path} is not served here: it is not in general_settings.allowed_routes`,
      );
    }
    await next();
  };
