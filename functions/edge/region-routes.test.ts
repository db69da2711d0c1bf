import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { A2A_ADMIN_PATHS } from "../../shared/a2a/admin-routes";
import { A2A_PATHS } from "../../shared/a2a/routes";
import type { GatewayEnv } from "../../shared/http/env";
import { errorHandler } from "../../shared/http/error-handler";
import { silentLogger } from "../../shared/logging/logger";
import { MCP_ADMIN_PATHS } from "../../shared/mcp/admin-routes";
import { MCP_PATHS } from "../../shared/mcp/routes";
import { SCALAR_SCRIPT_PATH } from "../../shared/openapi/module";
import { REGION_PATHS, regionRoutes } from "./region-routes";

function edgeWith(regionUrl: string | undefined) {
  const sent: Request[] = [];
  const fetcher = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    sent.push(request);
    return Response.json({ from: "region", path: new URL(request.url).pathname }, { status: 201 });
  }) as typeof fetch;
  const app = new Hono<GatewayEnv>();
  app.onError(errorHandler(silentLogger));
  app.route("/", regionRoutes(regionUrl, fetcher));
  return { app, sent };
}

describe("regionRoutes", () => {
  it("forwards the management API to the region: method, query, headers and body as sent", async () => {
    const { app, sent } = edgeWith("https://region.example.com");
    const response = await app.request("https://edge.example.com/key/generate?x=1", {
      method: "POST",
      headers: { authorization: "Bearer sk-master", "content-type": "application/json" },
      body: JSON.stringify({ max_budget: 5 }),
    });
    expect(response.status).toBe(201);
    expect(await response.json()).toEqual({ from: "region", path: "/key/generate" });
    const [forwarded] = sent;
    expect(forwarded?.url).toBe("https://region.example.com/key/generate?x=1");
    expect(forwarded?.method).toBe("POST");
    expect(forwarded?.headers.get("authorization")).toBe("Bearer sk-master");
    expect(forwarded?.headers.get("host")).toBeNull();
    expect(await forwarded?.json()).toEqual({ max_budget: 5 });
  });

  it("forwards every region path, the sync status included", async () => {
    const { app, sent } = edgeWith("https://region.example.com");
    const paths = [
      ...REGION_PATHS.map((pattern) => pattern.replace("*", "list")),
      "/llmrouter/config/sync/status",
    ];
    for (const path of paths) expect((await app.request(path)).status, path).toBe(201);
    expect(sent.map((r) => new URL(r.url).pathname)).toContain("/llmrouter/config/sync/status");
  });

  it("forwards the MCP and A2A gateways, their registries and the API reference, which the edge does not serve", async () => {
    const { app, sent } = edgeWith("https://region.example.com");
    const modulePaths = [...MCP_PATHS, ...MCP_ADMIN_PATHS, ...A2A_PATHS, ...A2A_ADMIN_PATHS].map((pattern) =>
      pattern.replace("*", "name"),
    );
    const paths = [
      ...modulePaths,
      "/mcp/github",
      "/v1/mcp/server/health",
      "/a2a/.well-known/agent-card.json",
      "/a2a/helper/.well-known/agent-card.json",
      "/openapi.json",
      "/docs",
      SCALAR_SCRIPT_PATH,
    ];
    for (const path of paths) {
      expect((await app.request(path, { method: "POST", body: "{}" })).status, path).toBe(201);
    }
    expect(sent.map((request) => new URL(request.url).pathname)).toEqual(paths);
  });

  it("never lets the request's path choose another host", async () => {
    const { app, sent } = edgeWith("https://region.example.com");
    await app.request("https://edge.example.com/key//evil.example/x", { method: "POST", body: "{}" });
    await app.request(new Request("https://edge.example.com/key/..%2F..%2F@evil.example/x"));
    expect(sent.map((request) => new URL(request.url).host)).toEqual([
      "region.example.com",
      "region.example.com",
    ]);
  });

  it("without a region URL refuses them with 404, saying where they are served", async () => {
    const { app, sent } = edgeWith(undefined);
    const response = await app.request("/team/new", { method: "POST", body: "{}" });
    expect(response.status).toBe(404);
    const { error } = await response.json();
    expect(error.code).toBe("served_by_region");
    expect(error.message).toContain("POST /team/new is served by the region");
    expect(error.message).toContain("ROUTEIQ_REGION_URL");
    expect(sent).toEqual([]);
  });

  it("refuses /metrics even with a region URL, naming the region's", async () => {
    const { app, sent } = edgeWith("https://region.example.com");
    const response = await app.request("/metrics");
    expect(response.status).toBe(404);
    expect((await response.json()).error.message).toContain("https://region.example.com/metrics");
    // A region URL with a path: named as a forwarded request would be sent, the path appended.
    const behindPath = edgeWith("https://example.com/region/");
    const named = await behindPath.app.request("/metrics");
    expect((await named.json()).error.message).toContain("https://example.com/region/metrics");
    expect([...sent, ...behindPath.sent]).toEqual([]);
  });
});
