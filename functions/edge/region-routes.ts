import { type Context, Hono } from "hono";
import { MANAGEMENT_PATHS } from "../../shared/app";
import { GatewayError } from "../../shared/errors";
import type { GatewayEnv } from "../../shared/http/env";

/**
 * Served by the region only: what changes keys and config, what reports on the sync loop and the
 * router's deployments and the replicas, the operator console (`/ui`), which calls all of these,
 * the API reference (`/openapi.json`, `/docs`), and the MCP and A2A gateways with their registries
 * (docs/mcp-a2a.md), which Node gateways serve when enabled. Written out here rather than imported
 * from those modules, which would bring the MCP SDK into the Worker (region-routes.test.ts checks
 * they cover the modules' paths). In Hono `/x/*` also matches `/x`.
 */
export const REGION_PATHS = [
  ...MANAGEMENT_PATHS,
  "/llmrouter/config/sync/*",
  "/llmrouter/deployments",
  "/llmrouter/replicas",
  "/ui",
  "/ui/*",
  "/openapi.json",
  "/docs",
  "/docs/*",
  "/mcp/*",
  "/v1/mcp/*",
  "/a2a/*",
  "/v1/agents/*",
] as const;

/** Request headers of this hop that must not reach the region as if the client had sent them. */
const HOP_HEADERS = ["host", "connection", "keep-alive", "transfer-encoding", "upgrade"];

const servedByRegion = (message: string) =>
  new GatewayError({ status: 404, type: "not_found_error", code: "served_by_region", message });

/** The same request, method, headers and body, sent to the region; its answer comes back as it is. */
async function forward(c: Context<GatewayEnv>, regionUrl: string, fetcher: typeof fetch): Promise<Response> {
  const incoming = new URL(c.req.url);
  const headers = new Headers(c.req.raw.headers);
  for (const name of HOP_HEADERS) headers.delete(name);
  const hasBody = c.req.method !== "GET" && c.req.method !== "HEAD";
  // Appended as text, never resolved: a path such as `//elsewhere/key/x` must not pick the host.
  const target = `${regionUrl.replace(/\/+$/, "")}${incoming.pathname}${incoming.search}`;
  const answer = await fetcher(target, {
    method: c.req.method,
    headers,
    body: hasBody ? c.req.raw.body : undefined,
    redirect: "manual",
    // Node's fetch needs this to send a streamed body; Workers ignore it.
    ...(hasBody ? { duplex: "half" } : {}),
  } as RequestInit);
  return new Response(answer.body, answer);
}

/**
 * What the edge answers for the region's routes (`REGION_PATHS`): the management API, the sync
 * status and the rest are forwarded to `regionUrl` (refused with an error naming where to go when
 * it is unset). `/metrics`
 * is refused either way: the edge writes its metrics to Analytics Engine, and the region's
 * metrics served under the edge's name would mislead a scraper.
 */
export function regionRoutes(regionUrl: string | undefined, fetcher: typeof fetch): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  for (const path of REGION_PATHS) {
    app.all(path, async function toRegion(c) {
      if (regionUrl === undefined) {
        throw servedByRegion(
          `${c.req.method} ${c.req.path} is served by the region, not the edge, and this edge has no ROUTEIQ_REGION_URL to forward it to: call the region's URL`,
        );
      }
      return forward(c, regionUrl, fetcher);
    });
  }
  app.all("/metrics", function metricsAtRegion(c) {
    // Named as a request would be forwarded: the path appended to the region's URL.
    const where =
      regionUrl === undefined ? "the region's /metrics" : `${regionUrl.replace(/\/+$/, "")}/metrics`;
    throw servedByRegion(
      `${c.req.method} ${c.req.path}: the edge writes its metrics to Workers Analytics Engine; Prometheus metrics are served at ${where}`,
    );
  });
  return app;
}
