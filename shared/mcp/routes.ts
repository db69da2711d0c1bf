import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";
import { type Context, Hono } from "hono";
import { GatewayError } from "../errors";
import type { GatewayEnv } from "../http/env";
import { readBoundedText } from "../http/parse-body";
import { toolAccess, upstreamAccess } from "../registered-upstreams/access";
import { admitUpstreamCall } from "../registered-upstreams/call-record";
import { gatewayServer } from "./gateway-server";
import type { McpRegistry } from "./registry";
import type { McpServer } from "./server-spec";
import type { McpUpstreams } from "./upstream-clients";

/** Hono matches `/mcp/*` against `/mcp` too; listing both ran a request's admission and auth twice. */
export const MCP_PATHS = ["/mcp/*"] as const;
/** LiteLLM's header: which of the servers a caller may use this request should see. */
const SERVERS_HEADER = "x-mcp-servers";

const noSuchServer = (name: string) =>
  new GatewayError({
    status: 404,
    type: "not_found_error",
    code: "mcp_server_not_found",
    message: `no MCP server named ${name}`,
  });

/** What this caller may see: its servers, narrowed by the path and `x-mcp-servers`. */
function selectServers(c: Context<GatewayEnv>, all: readonly McpServer[], only: string | undefined) {
  const visible = upstreamAccess(c.get("principal"), (p) => p.mcp_servers);
  let servers = all.filter((s) => visible(s.name, s.allowAllKeys));
  if (only !== undefined) {
    servers = servers.filter((s) => s.name === only);
    // A server this key may not use answers exactly as one that does not exist.
    if (servers.length === 0) throw noSuchServer(only);
  }
  const header = c.req.header(SERVERS_HEADER);
  if (header !== undefined) {
    const wanted = new Set(header.split(",").map((name) => name.trim()));
    servers = servers.filter((s) => wanted.has(s.name));
  }
  return servers;
}

/**
 * `/mcp` (every server the caller may use, names prefixed `<server>-`) and `/mcp/<server>`, over
 * Streamable HTTP without sessions: each POST is answered on its own, by whichever replica gets
 * it. There is nothing to stream back unasked, so GET and DELETE are refused as the spec allows.
 */
export function mcpRoutes(registry: McpRegistry, upstreams: McpUpstreams): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  const serve = async (c: Context<GatewayEnv>, only: string | undefined) => {
    const deps = c.get("deps");
    const principal = c.get("principal");
    const selection = {
      servers: selectServers(c, registry.all(), only),
      namespaced: only === undefined,
      toolAllowed: toolAccess(principal),
    };
    const hooks = {
      async admit(server: string, tool: string) {
        try {
          return await admitUpstreamCall(deps, principal, {
            gateway: "mcp",
            upstream: server,
            method: "tools/call",
            tool,
            requestId: c.get("requestId"),
          });
        } catch (error) {
          throw new McpError(
            ErrorCode.InvalidRequest,
            error instanceof Error ? error.message : String(error),
          );
        }
      },
    };
    // The SDK parses the body itself: nesting is bounded here first, as on every route. A tool
    // call's arguments nested thousands deep would otherwise fail serialising for the upstream,
    // and be counted as that server failing.
    const raw = c.req.raw;
    const request = new Request(raw.url, {
      method: raw.method,
      headers: raw.headers,
      body: await readBoundedText(c),
      signal: raw.signal,
    });
    const server = gatewayServer(selection, upstreams, hooks, deps.logger);
    const transport = new WebStandardStreamableHTTPServerTransport({ enableJsonResponse: true });
    await server.connect(transport);
    try {
      return await transport.handleRequest(request);
    } finally {
      void server.close();
    }
  };
  app.post("/mcp", (c) => serve(c, undefined));
  app.post("/mcp/:server", (c) => serve(c, c.req.param("server")));
  const notServed = (c: Context<GatewayEnv>) =>
    c.json(
      { jsonrpc: "2.0", error: { code: -32000, message: "Method not allowed: stateless gateway" }, id: null },
      405,
      {
        allow: "POST",
      },
    );
  app.on(["GET", "DELETE"], ["/mcp", "/mcp/:server"], notServed);
  return app;
}
