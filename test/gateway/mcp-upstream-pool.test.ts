import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { McpServer as RegisteredServer } from "../../shared/mcp/server-spec";
import { McpUpstreams } from "../../shared/mcp/upstream-clients";

/**
 * An upstream with a tool that never answers (a caller's slow tool: its time may be the caller's
 * own arguments) and one that answers when the test opens its gate.
 */
let http: Server;
let url: string;
const seen: string[] = [];
let open: () => void = () => {};
const gate = new Promise<void>((resolve) => {
  open = resolve;
});

beforeAll(async () => {
  http = createServer(async (req, res) => {
    const mcp = new McpServer({ name: "slow", version: "1.0.0" });
    mcp.registerTool("hang", { description: "never answers" }, async () => {
      seen.push("hang");
      return new Promise<never>(() => {});
    });
    mcp.registerTool("gated", { description: "answers once the gate opens" }, async () => {
      seen.push("gated");
      await gate;
      return { content: [{ type: "text", text: "through" }] };
    });
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
    });
    res.on("close", () => void mcp.close());
    await mcp.connect(transport);
    await transport.handleRequest(req, res);
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`;
});
afterAll(async () => {
  open();
  http?.closeAllConnections();
  await new Promise((resolve) => http?.close(resolve));
});

async function until(what: string, ready: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !ready(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!ready()) throw new Error(`timed out waiting for ${what}`);
}

describe("McpUpstreams", () => {
  it("lets the calls in flight on a shared connection finish when another caller's call times out", async () => {
    const upstreams = new McpUpstreams({ fetch, requestTimeoutMs: 10_000 });
    const server = {
      name: "slow",
      url,
      transport: "http",
      authType: "none",
      credentials: {},
      allowAllKeys: true,
      disallowedTools: [],
    } as unknown as RegisteredServer;
    try {
      // One key's call is on the connection, waiting for its answer...
      const other = upstreams.with(server, (c) =>
        c.callTool({ name: "gated" }, undefined, { timeout: 10_000 }),
      );
      await until("the first call at the upstream", () => seen.includes("gated"));
      // ...when another key's call times out on the same pooled client.
      const slow = upstreams.with(server, (c) => c.callTool({ name: "hang" }, undefined, { timeout: 100 }));
      await expect(slow).rejects.toThrow(/timed out/i);
      open();
      await expect(other).resolves.toMatchObject({ content: [{ type: "text", text: "through" }] });
      // The next call gets a fresh connection.
      await expect(
        upstreams.with(server, (c) => c.callTool({ name: "gated" }, undefined, { timeout: 10_000 })),
      ).resolves.toMatchObject({ content: [{ text: "through" }] });
    } finally {
      await upstreams.close();
    }
  });
});
