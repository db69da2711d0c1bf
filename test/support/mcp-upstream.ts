import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { SSEServerTransport } from "@modelcontextprotocol/sdk/server/sse.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { z } from "zod";

export interface McpUpstream {
  /** Where MCP clients connect: `/mcp` (Streamable HTTP) or `/sse` (SSE). */
  readonly url: string;
  /** Headers of every request the server received. */
  readonly headers: IncomingHttpHeaders[];
  /** Tool calls it served, by tool name. */
  readonly calls: string[];
  close(): Promise<void>;
}

/** A real MCP server built with the SDK: tools `echo` and `secret`, a resource and a prompt. */
function mcpServer(name: string, calls: string[]): McpServer {
  const server = new McpServer({ name, version: "1.0.0" });
  server.registerTool(
    "echo",
    { description: `echo from ${name}`, inputSchema: { text: z.string() } },
    async ({ text }) => {
      calls.push("echo");
      return { content: [{ type: "text", text: `${name} says ${text}` }] };
    },
  );
  server.registerTool("secret", { description: "not for everyone" }, async () => {
    calls.push("secret");
    return { content: [{ type: "text", text: `${name} secret` }] };
  });
  server.registerResource("readme", `memo://${name}/readme`, { mimeType: "text/plain" }, async (uri) => ({
    contents: [{ uri: uri.href, text: `readme of ${name}` }],
  }));
  server.registerPrompt("greet", { description: "greeting" }, () => ({
    messages: [{ role: "user", content: { type: "text", text: `hello from ${name}` } }],
  }));
  return server;
}

/** An MCP server on loopback over Streamable HTTP (`transport: "http"`) or SSE (`"sse"`). */
export async function startMcpUpstream(name: string, transport: "http" | "sse"): Promise<McpUpstream> {
  const headers: IncomingHttpHeaders[] = [];
  const calls: string[] = [];
  const sse = new Map<string, SSEServerTransport>();
  const server: Server = createServer(async (req, res) => {
    headers.push(req.headers);
    const url = new URL(req.url ?? "/", "http://localhost");
    if (transport === "http" && url.pathname === "/mcp") {
      // Stateless: a server and transport per request.
      const mcp = mcpServer(name, calls);
      const t = new StreamableHTTPServerTransport({
        sessionIdGenerator: undefined,
        enableJsonResponse: true,
      });
      res.on("close", () => void mcp.close());
      await mcp.connect(t);
      await t.handleRequest(req, res);
      return;
    }
    if (transport === "sse" && req.method === "GET" && url.pathname === "/sse") {
      const t = new SSEServerTransport("/messages", res);
      sse.set(t.sessionId, t);
      res.on("close", () => sse.delete(t.sessionId));
      await mcpServer(name, calls).connect(t);
      return;
    }
    if (transport === "sse" && req.method === "POST" && url.pathname === "/messages") {
      const t = sse.get(url.searchParams.get("sessionId") ?? "");
      if (t === undefined) return void res.writeHead(404).end();
      await t.handlePostMessage(req, res);
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/${transport === "http" ? "mcp" : "sse"}`,
    headers,
    calls,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
