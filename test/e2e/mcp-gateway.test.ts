import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
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
    const limited = await generateKey(a, {
      key_alias: "mcp-limited",
      rpm_limit: 1,
      object_permission: { mcp_servers: ["alpha"] },
    });
    const client = await connect(b, limited);
    await client.callTool({ name: "alpha-echo", arguments: { text: "1" } });
    await expect(client.callTool({ name: "alpha-echo", arguments: { text: "2" } })).rejects.toThrow(
      /rpm limit of 1 reached/,
    );
    expect(
      await metricTotal(b, "routeiq_upstream_calls_total", { upstream: "alpha", outcome: "rate_limited" }),
    ).toBe(1);
    await client.close();
    // Each call, admitted or refused, is a spend-log row under the key: who, which server and tool, outcome.
    const db = new pg.Client({ connectionString: schema.url });
    await db.connect();
    try {
      let rows: { status: number; model_group: string; deployment: string; call_type: string }[] = [];
      await waitFor(
        "both calls in the spend log",
        async () => {
          ({ rows } = await db.query(
            `SELECT s.status, s.model_group, s.deployment, s.metadata->>'call_type' AS call_type
               FROM routeiq_spend_logs s JOIN routeiq_keys k ON k.key_hash = s.key_hash
              WHERE k.key_alias = 'mcp-limited' ORDER BY s.started_at`,
          ));
          return rows.length === 2;
        },
        10_000,
      );
      expect(rows).toEqual([
        { status: 200, model_group: "mcp/alpha", deployment: "echo", call_type: "call_mcp_tool" },
        { status: 429, model_group: "mcp/alpha", deployment: "echo", call_type: "call_mcp_tool" },
      ]);
    } finally {
      await db.end();
    }
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

  it("updates a server, and never sends its stored credentials to a new origin", async () => {
    const [a, b] = gateways as [Gateway, Gateway];
    const put = async (body: unknown) => {
      const response = await fetch(`${a.url}/v1/mcp/server`, {
        method: "PUT",
        headers: { authorization: `Bearer ${MASTER_KEY}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON answers
      return { status: response.status, body: (await response.json()) as any };
    };
    await admin(a, "/v1/mcp/server", {
      server_name: "moved",
      url: alpha.url,
      auth_type: "bearer_token",
      auth_value: "moved-secret",
    });
    const elsewhere = await put({ server_name: "moved", url: beta.url });
    expect(elsewhere.status).toBe(400);
    expect(elsewhere.body.error).toMatchObject({ code: "credentials_required", param: "url" });
    expect((await put({ server_name: "moved", description: "renamed" })).body).toMatchObject({
      description: "renamed",
      url: alpha.url,
      has_credentials: true,
    });
    const moved = await put({ server_name: "moved", url: beta.url, auth_value: "beta-secret" });
    expect(moved.body).toMatchObject({ url: beta.url, transport: "sse", has_credentials: true });
    expect(JSON.stringify(moved.body)).not.toContain("beta-secret");
    expect((await put({ server_name: "nope", description: "x" })).status).toBe(404);

    const client = await connect(b, MASTER_KEY, "/mcp", { "x-mcp-servers": "moved" });
    await waitFor(
      "replica B serving moved from beta",
      async () => {
        const result = await client
          .callTool({ name: "moved-echo", arguments: { text: "x" } })
          .catch(() => null);
        return result !== null && textOf(result) === "beta says x";
      },
      20_000,
    );
    expect(beta.headers.at(-1)?.authorization).toBe("Bearer beta-secret");
    expect(alpha.headers.some((h) => h.authorization === "Bearer beta-secret")).toBe(false);
    expect(beta.headers.some((h) => h.authorization === "Bearer moved-secret")).toBe(false);
    await client.close();
    await fetch(`${a.url}/v1/mcp/server/moved`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${MASTER_KEY}` },
    });
  });

  it("negotiates the previous protocol revisions clients still send", async () => {
    const [, b] = gateways as [Gateway, Gateway];
    for (const version of ["2025-06-18", "2025-03-26", "2024-11-05"]) {
      const response = await fetch(`${b.url}/mcp`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${MASTER_KEY}`,
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
        },
        body: JSON.stringify({
          jsonrpc: "2.0",
          id: 1,
          method: "initialize",
          params: { protocolVersion: version, capabilities: {}, clientInfo: { name: "old", version: "0" } },
        }),
      });
      expect(response.status, version).toBe(200);
      expect((await response.json()).result.protocolVersion).toBe(version);
    }
  });

  it("serves config.yaml's mcp_servers, which the admin API shows but cannot change", async () => {
    const fromConfig = await startGateway(
      {
        mcp_servers: {
          gamma: {
            url: alpha.url,
            auth_type: "bearer_token",
            auth_value: "os.environ/GAMMA_API_KEY",
            allowed_tools: ["echo"],
          },
        },
      },
      {
        DATABASE_URL: schema.url,
        REDIS_URL,
        MCP_GATEWAY_ENABLED: "true",
        ROUTEIQ_OUTBOUND_ALLOWLIST: "127.0.0.1",
        GAMMA_API_KEY: "gamma-config-secret",
      },
    );
    try {
      const listed = await admin(fromConfig, "/v1/mcp/server");
      const gamma = listed.body.find((s: { server_name: string }) => s.server_name === "gamma");
      expect(gamma).toMatchObject({ source: "config", transport: "http", has_credentials: true });
      expect(JSON.stringify(listed.body)).not.toContain("gamma-config-secret");
      const client = await connect(fromConfig, MASTER_KEY, "/mcp/gamma");
      expect(await toolNames(client)).toEqual(["echo"]);
      expect(textOf(await client.callTool({ name: "echo", arguments: { text: "cfg" } }))).toBe(
        "alpha says cfg",
      );
      expect(alpha.headers.at(-1)?.authorization).toBe("Bearer gamma-config-secret");
      await client.close();
      const changed = await fetch(`${fromConfig.url}/v1/mcp/server/gamma`, {
        method: "DELETE",
        headers: { authorization: `Bearer ${MASTER_KEY}` },
      });
      expect(changed.status).toBe(409);
      expect(
        (await admin(fromConfig, "/v1/mcp/server", { server_name: "gamma", url: beta.url })).status,
      ).toBe(409);
    } finally {
      await fromConfig.shutdown();
    }
  });

  it("asks an OAuth2 token endpoint for the upstream's bearer token (client credentials), once while it is valid", async () => {
    const [a, b] = gateways as [Gateway, Gateway];
    const grants: URLSearchParams[] = [];
    const tokens = createServer((req, res) => {
      let body = "";
      req.on("data", (chunk) => {
        body += chunk;
      });
      req.on("end", () => {
        grants.push(new URLSearchParams(body));
        res
          .writeHead(200, { "content-type": "application/json" })
          .end(
            JSON.stringify({ access_token: `tok-${grants.length}`, token_type: "Bearer", expires_in: 3600 }),
          );
      });
    });
    await new Promise<void>((resolve) => tokens.listen(0, "127.0.0.1", resolve));
    const tokenUrl = `http://127.0.0.1:${(tokens.address() as AddressInfo).port}/token`;
    try {
      const oauth = {
        server_name: "oauthy",
        url: alpha.url,
        auth_type: "oauth2",
        token_url: tokenUrl,
        client_id: "routeiq",
        client_secret: "client-secret-never-shown",
        scopes: ["mcp:tools"],
      };
      const missing = await admin(a, "/v1/mcp/server", { ...oauth, client_secret: undefined });
      expect(missing.body.error).toMatchObject({ code: "invalid_credentials", param: "client_secret" });
      const metadata = await admin(a, "/v1/mcp/server", {
        ...oauth,
        token_url: "http://169.254.169.254/token",
      });
      expect(metadata.body.error).toMatchObject({ code: "url_refused", param: "token_url" });
      const created = await admin(a, "/v1/mcp/server", oauth);
      expect(created.body).toMatchObject({ auth_type: "oauth2", has_credentials: true });
      expect(JSON.stringify(created.body)).not.toContain("client-secret-never-shown");

      const client = await connect(a, MASTER_KEY, "/mcp/oauthy");
      expect(textOf(await client.callTool({ name: "echo", arguments: { text: "1" } }))).toBe("alpha says 1");
      expect(textOf(await client.callTool({ name: "echo", arguments: { text: "2" } }))).toBe("alpha says 2");
      await client.close();
      expect(alpha.headers.at(-1)?.authorization).toBe("Bearer tok-1");
      expect(grants).toHaveLength(1);
      expect(Object.fromEntries(grants[0] ?? [])).toEqual({
        grant_type: "client_credentials",
        client_id: "routeiq",
        client_secret: "client-secret-never-shown",
        scope: "mcp:tools",
      });
      // The other replica asks for its own token with the same sealed client.
      const other = await connect(b, MASTER_KEY, "/mcp/oauthy");
      await waitFor(
        "replica B serving oauthy",
        async () => (await other.listTools().catch(() => ({ tools: [] }))).tools.length > 0,
        20_000,
      );
      expect(alpha.headers.at(-1)?.authorization).toBe("Bearer tok-2");
      await other.close();
      // Scopes are part of the client: changing them alone would answer 200 and change nothing.
      const scopesOnly = await fetch(`${a.url}/v1/mcp/server`, {
        method: "PUT",
        headers: { authorization: `Bearer ${MASTER_KEY}`, "content-type": "application/json" },
        body: JSON.stringify({ server_name: "oauthy", scopes: ["mcp:other"] }),
      });
      expect(scopesOnly.status).toBe(400);
      expect(((await scopesOnly.json()) as { error: { code: string } }).error.code).toBe(
        "invalid_credentials",
      );
    } finally {
      await fetch(`${a.url}/v1/mcp/server/oauthy`, {
        method: "DELETE",
        headers: { authorization: `Bearer ${MASTER_KEY}` },
      });
      tokens.closeAllConnections();
      await new Promise((resolve) => tokens.close(resolve));
    }
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
