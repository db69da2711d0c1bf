import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MASTER_KEY, startGateway } from "../support/gateway";
import { type McpUpstream, startMcpUpstream } from "../support/mcp-upstream";
import { createTestSchema, type TestSchema } from "../support/postgres";
import {
  admin,
  type Gateway,
  generateKey,
  metricTotal,
  REDIS_URL,
  readiness,
  requireRedis,
  waitFor,
} from "../support/replicas";

/**
 * The MCP gateway on two replicas of one deployment (one PostgreSQL schema, one Redis), with real
 * SDK servers on loopback behind it (Streamable HTTP and SSE) and the SDK's own client in front.
 */

const UPSTREAM_SECRET = "upstream-bearer-never-shown";
let alpha: McpUpstream;
let beta: McpUpstream;
let schema: TestSchema;
const gateways: Gateway[] = [];

beforeAll(async () => {
  await requireRedis();
  alpha = await startMcpUpstream("alpha", "http");
  beta = await startMcpUpstream("beta", "sse");
  schema = await createTestSchema("mcp");
  const env = {
    DATABASE_URL: schema.url,
    REDIS_URL,
    MCP_GATEWAY_ENABLED: "true",
    // The upstreams are on loopback, which registered URLs may not reach unless allowed.
    ROUTEIQ_OUTBOUND_ALLOWLIST: "127.0.0.1",
  };
  gateways.push(await startGateway({}, env));
  gateways.push(await startGateway({}, env));
});

afterAll(async () => {
  await Promise.allSettled(gateways.map((g) => g.shutdown()));
  await schema?.drop();
  await alpha?.close();
  await beta?.close();
});

async function connect(gateway: Gateway, key: string, path = "/mcp", headers: Record<string, string> = {}) {
  const client = new Client({ name: "test-client", version: "1" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${gateway.url}${path}`), {
      requestInit: { headers: { authorization: `Bearer ${key}`, ...headers } },
    }),
  );
  return client;
}

const toolNames = async (client: Client) => (await client.listTools()).tools.map((t) => t.name).sort();
const textOf = (result: Awaited<ReturnType<Client["callTool"]>>) =>
  (result.content as { type: string; text: string }[]).map((c) => c.text).join("");

describe("MCP gateway across replicas", () => {
  it("serves a server registered through one replica from the other, credentials sealed and never shown", async () => {
    const [a, b] = gateways as [Gateway, Gateway];
    const created = await admin(a, "/v1/mcp/server", {
      server_name: "alpha",
      url: alpha.url,
      auth_type: "bearer_token",
      auth_value: UPSTREAM_SECRET,
      static_headers: { "x-tenant": "acme" },
    });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ server_name: "alpha", transport: "http", has_credentials: true });
    expect(JSON.stringify(created.body)).not.toContain(UPSTREAM_SECRET);
    const listed = await admin(b, "/v1/mcp/server");
    expect(JSON.stringify(listed.body)).not.toContain(UPSTREAM_SECRET);

    const db = new pg.Client({ connectionString: schema.url });
    await db.connect();
    const { rows } = await db.query("SELECT credentials FROM routeiq_mcp_servers WHERE name = 'alpha'");
    await db.end();
    expect(rows[0].credentials).toMatch(/^v1\./);
    expect(rows[0].credentials).not.toContain(UPSTREAM_SECRET);

    const client = await connect(b, MASTER_KEY);
    await waitFor(
      "replica B sees alpha",
      async () => (await toolNames(client)).includes("alpha-echo"),
      20_000,
    );
    expect(await toolNames(client)).toEqual(["alpha-echo", "alpha-secret"]);
    const result = await client.callTool({ name: "alpha-echo", arguments: { text: "hi" } });
    expect(textOf(result)).toBe("alpha says hi");
    const sent = alpha.headers.at(-1);
    expect(sent?.authorization).toBe(`Bearer ${UPSTREAM_SECRET}`);
    expect(sent?.["x-tenant"]).toBe("acme");
    expect(
      await metricTotal(b, "routeiq_upstream_calls_total", {
        gateway: "mcp",
        upstream: "alpha",
        outcome: "ok",
      }),
    ).toBe(1);
    await client.close();
  });

  it("proxies an SSE server, per server at /mcp/<server> and by x-mcp-servers", async () => {
    const [a, b] = gateways as [Gateway, Gateway];
    expect((await admin(a, "/v1/mcp/server", { server_name: "beta", url: beta.url })).body.transport).toBe(
      "sse",
    );
    await waitFor(
      "replica B sees beta",
      async () => (await admin(b, "/v1/mcp/server")).body.length === 2,
      20_000,
    );
    const direct = await connect(b, MASTER_KEY, "/mcp/beta");
    expect(textOf(await direct.callTool({ name: "echo", arguments: { text: "yo" } }))).toBe("beta says yo");
    const resources = await direct.listResources();
    expect(resources.resources.map((r) => r.uri)).toEqual(["memo://beta/readme"]);
    await direct.close();

    const chosen = await connect(a, MASTER_KEY, "/mcp", { "x-mcp-servers": "beta" });
    expect(await toolNames(chosen)).toEqual(["beta-echo", "beta-secret"]);
    const [resource] = (await chosen.listResources()).resources;
    const read = await chosen.readResource({ uri: resource?.uri ?? "" });
    expect(read.contents[0]).toMatchObject({ text: "readme of beta" });
    const prompt = await chosen.getPrompt({ name: "beta-greet" });
    expect(prompt.messages[0]?.content).toMatchObject({ text: "hello from beta" });
    await chosen.close();
  });

  it("shows a key only the servers and tools it may use; everything else does not exist for it", async () => {
    const [a, b] = gateways as [Gateway, Gateway];
    const nothing = await generateKey(a);
    const none = await connect(b, nothing);
    expect(await toolNames(none)).toEqual([]);
    expect((await none.listResources()).resources).toEqual([]);
    await expect(none.callTool({ name: "alpha-echo", arguments: { text: "x" } })).rejects.toThrow(
      /unknown tool: alpha-echo/,
    );
    await none.close();
    const hidden = await fetch(`${b.url}/mcp/alpha`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${nothing}`,
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
      },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    expect(hidden.status).toBe(404);

    const echoOnly = await generateKey(a, {
      object_permission: { mcp_servers: ["alpha"], mcp_tool_permissions: { alpha: ["echo"] } },
    });
    const some = await connect(b, echoOnly);
    expect(await toolNames(some)).toEqual(["alpha-echo"]);
    await expect(some.callTool({ name: "alpha-secret", arguments: {} })).rejects.toThrow(/unknown tool/);
    expect(alpha.calls).not.toContain("secret");
    expect(textOf(await some.callTool({ name: "alpha-echo", arguments: { text: "ok" } }))).toBe(
      "alpha says ok",
    );
    await some.close();
  });

  it("holds tool calls to the key's rate limits", async () => {
    const [a, b] = gateways as [Gateway, Gateway];
    const limited = await generateKey(a, { rpm_limit: 1, object_permission: { mcp_servers: ["alpha"] } });
    const client = await connect(b, limited);
    await client.callTool({ name: "alpha-echo", arguments: { text: "1" } });
    await expect(client.callTool({ name: "alpha-echo", arguments: { text: "2" } })).rejects.toThrow(
      /rpm limit of 1 reached/,
    );
    expect(
      await metricTotal(b, "routeiq_upstream_calls_total", { upstream: "alpha", outcome: "rate_limited" }),
    ).toBe(1);
    await client.close();
  });

  it("refuses a body nested deeper than 64 levels with 400 json_too_deep, the server never blamed", async () => {
    const [, b] = gateways as [Gateway, Gateway];
    const key = await generateKey(b, { object_permission: { mcp_servers: ["alpha"] } });
    const deep = `${"[".repeat(5_000)}1${"]".repeat(5_000)}`;
    const before = alpha.headers.length;
    const response = await fetch(`${b.url}/mcp`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${key}`,
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
      },
      body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"alpha-echo","arguments":{"text":"x","deep":${deep}}}}`,
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("json_too_deep");
    expect(alpha.headers.length).toBe(before);
    expect(
      await metricTotal(b, "routeiq_upstream_calls_total", { upstream: "alpha", outcome: "unreachable" }),
    ).toBe(0);
    // Below the bound, the same call is served.
    const client = await connect(b, key);
    const result = await client.callTool({
      name: "alpha-echo",
      arguments: { text: "shallow", deep: [[[1]]] },
    });
    expect(textOf(result)).toBe("alpha says shallow");
    await client.close();
  });

  it("keeps listing and stays ready when a server is down, naming it in readiness as information", async () => {
    const [a, b] = gateways as [Gateway, Gateway];
    const down = await admin(a, "/v1/mcp/server", {
      server_name: "gone",
      url: "http://127.0.0.1:9/mcp",
      allow_all_keys: true,
    });
    expect(down.status).toBe(200);
    const client = await connect(b, MASTER_KEY);
    await waitFor(
      "replica B tried gone",
      async () => {
        await toolNames(client);
        const response = await fetch(`${b.url}/_health/ready`);
        const body = (await response.json()) as { warnings?: Record<string, string> };
        return body.warnings?.mcp?.includes("gone") ?? false;
      },
      20_000,
    );
    expect(await toolNames(client)).toContain("alpha-echo");
    expect((await readiness(b)).status).toBe(200);
    const health = await admin(a, "/v1/mcp/server/health?server_name=gone");
    expect(health.body.servers[0]).toMatchObject({ server_name: "gone", status: "unhealthy" });
    await client.close();
  });

  it("refuses stdio servers, hostile URLs and callers without the master key", async () => {
    const [a] = gateways as [Gateway];
    const stdio = await admin(a, "/v1/mcp/server", { server_name: "shell", url: alpha.url, command: "sh" });
    expect(stdio.status).toBe(400);
    expect(stdio.body.error.message).toMatch(/stdio MCP servers are not served/);
    for (const url of [
      "http://169.254.169.254/latest",
      "http://localhost:80/mcp",
      "http://10.0.0.1/mcp",
      "file:///etc/passwd",
    ]) {
      const refused = await admin(a, "/v1/mcp/server", { server_name: "bad", url });
      expect(refused.status, url).toBe(400);
    }
    const key = await generateKey(a);
    const asKey = await fetch(`${a.url}/v1/mcp/server`, { headers: { authorization: `Bearer ${key}` } });
    expect(asKey.status).toBe(401);
  });

  it("forgets a deleted server on every replica", async () => {
    const [a, b] = gateways as [Gateway, Gateway];
    expect(
      (
        await fetch(`${a.url}/v1/mcp/server/beta`, {
          method: "DELETE",
          headers: { authorization: `Bearer ${MASTER_KEY}` },
        })
      ).status,
    ).toBe(200);
    const client = await connect(b, MASTER_KEY);
    await waitFor(
      "replica B forgot beta",
      async () => !(await toolNames(client)).includes("beta-echo"),
      20_000,
    );
    await client.close();
  });
});
