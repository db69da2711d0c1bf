import { type Message, Role, type Task, TaskState } from "@a2a-js/sdk";
import {
  type Client,
  ClientFactory,
  ClientFactoryOptions,
  JsonRpcTransportFactory,
} from "@a2a-js/sdk/client";
import { LegacyJsonRpcTransport } from "@a2a-js/sdk/compat/v0_3/client";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type A2aAgentServer, startA2aAgent } from "../support/a2a-agent";
import { MASTER_KEY, startGateway } from "../support/gateway";
import { createTestSchema, type TestSchema } from "../support/postgres";
import {
  admin,
  type Gateway,
  generateKey,
  metricTotal,
  REDIS_URL,
  requireRedis,
  waitFor,
} from "../support/replicas";

/**
 * The A2A gateway on two replicas, an @a2a-js/sdk agent on loopback behind them and the SDK's
 * client in front: send, stream, get and cancel, scoped by key.
 */

const AGENT_SECRET = "agent-token-never-shown";
let agent: A2aAgentServer;
let schema: TestSchema;
const gateways: Gateway[] = [];

beforeAll(async () => {
  await requireRedis();
  agent = await startA2aAgent("echo");
  schema = await createTestSchema("a2a");
  const env = {
    DATABASE_URL: schema.url,
    REDIS_URL,
    A2A_GATEWAY_ENABLED: "true",
    ROUTEIQ_OUTBOUND_ALLOWLIST: "127.0.0.1",
  };
  gateways.push(await startGateway({}, env));
  gateways.push(await startGateway({}, env));
});

afterAll(async () => {
  await Promise.allSettled(gateways.map((g) => g.shutdown()));
  await schema?.drop();
  await agent?.close();
});

async function clientFor(gateway: Gateway, key: string): Promise<Client> {
  const withKey: typeof fetch = (input, init = {}) => {
    const headers = new Headers(init.headers);
    headers.set("authorization", `Bearer ${key}`);
    return fetch(input, { ...init, headers });
  };
  const factory = new ClientFactory(
    ClientFactoryOptions.createFrom(ClientFactoryOptions.default, {
      transports: [new JsonRpcTransportFactory({ fetchImpl: withKey })],
    }),
  );
  const card = await (await withKey(`${gateway.url}/a2a/echo/.well-known/agent-card.json`)).json();
  return factory.createFromAgentCard(card);
}

/** A message as the README's worked example writes it, typed by the SDK. */
const message = (text: string): Message => ({
  messageId: crypto.randomUUID(),
  contextId: "",
  taskId: "",
  role: Role.ROLE_USER,
  parts: [{ content: { $case: "text", value: text }, metadata: undefined, filename: "", mediaType: "" }],
  metadata: undefined,
  extensions: [],
  referenceTaskIds: [],
});

const request = (text: string) => ({
  tenant: "",
  message: message(text),
  configuration: undefined,
  metadata: undefined,
});

describe("A2A gateway across replicas", () => {
  it("proxies send, stream, get and cancel to an agent registered through the other replica", async () => {
    const [a, b] = gateways as [Gateway, Gateway];
    const created = await admin(a, "/v1/agents", {
      agent_name: "echo",
      url: agent.url,
      auth_type: "bearer_token",
      auth_value: AGENT_SECRET,
    });
    expect(created.status).toBe(200);
    expect(JSON.stringify(created.body)).not.toContain(AGENT_SECRET);
    await waitFor(
      "replica B sees echo",
      async () => (await admin(b, "/v1/agents")).body.length === 1,
      20_000,
    );

    const card = await (
      await fetch(`${b.url}/a2a/echo/.well-known/agent-card.json`, {
        headers: { authorization: `Bearer ${MASTER_KEY}` },
      })
    ).json();
    expect(card.supportedInterfaces[0].url).toBe(`${b.url}/a2a/echo`);

    const client = await clientFor(b, MASTER_KEY);
    const sent = (await client.sendMessage(request("hello"))) as Task;
    expect(JSON.stringify(sent)).toContain("echo: hello");
    expect(agent.authorizations.at(-1)).toBe(`Bearer ${AGENT_SECRET}`);

    const events: unknown[] = [];
    for await (const event of client.sendMessageStream(request("streamed"))) events.push(event);
    expect(JSON.stringify(events)).toContain("echo: streamed");

    const taskId = (sent as { id?: string }).id ?? JSON.parse(JSON.stringify(sent)).task?.id;
    const got = await client.getTask({ id: taskId } as never);
    expect(got.id).toBe(taskId);

    let waiting: string | undefined;
    for await (const event of client.sendMessageStream(request("wait"))) {
      waiting =
        JSON.parse(JSON.stringify(event)).payload?.value?.id ?? JSON.parse(JSON.stringify(event)).task?.id;
      if (waiting !== undefined) break;
    }
    expect(waiting).toBeDefined();
    const cancelled = await client.cancelTask({ id: waiting } as never);
    expect(cancelled.status?.state).toBe(TaskState.TASK_STATE_CANCELED);

    expect(
      await metricTotal(b, "routeiq_upstream_calls_total", { gateway: "a2a", upstream: "echo" }),
    ).toBeGreaterThanOrEqual(4);
  });

  it("proxies A2A 0.3's message/send, message/stream, tasks/get and tasks/cancel too", async () => {
    const [, b] = gateways as [Gateway, Gateway];
    const methods: string[] = [];
    const withKey: typeof fetch = async (input, init = {}) => {
      const headers = new Headers(init.headers);
      headers.set("authorization", `Bearer ${MASTER_KEY}`);
      methods.push(JSON.parse(String(init.body ?? "{}")).method);
      return fetch(input, { ...init, headers });
    };
    const legacy = new LegacyJsonRpcTransport({ endpoint: `${b.url}/a2a/echo`, fetchImpl: withKey });
    const sent = await legacy.sendMessage(request("old hello"));
    expect(JSON.stringify(sent)).toContain("echo: old hello");
    const events: unknown[] = [];
    for await (const event of legacy.sendMessageStream(request("old stream"))) events.push(event);
    expect(JSON.stringify(events)).toContain("echo: old stream");
    const taskId = JSON.parse(JSON.stringify(sent)).id ?? JSON.parse(JSON.stringify(sent)).task?.id;
    expect((await legacy.getTask({ tenant: "", id: taskId, historyLength: undefined })).id).toBe(taskId);
    let waiting: string | undefined;
    for await (const event of legacy.sendMessageStream(request("wait"))) {
      const json = JSON.parse(JSON.stringify(event));
      waiting = json.payload?.value?.id ?? json.task?.id;
      if (waiting !== undefined) break;
    }
    const cancelled = await legacy.cancelTask({ tenant: "", id: waiting as string, metadata: undefined });
    expect(cancelled.status?.state).toBe(TaskState.TASK_STATE_CANCELED);
    expect(methods).toEqual([
      "message/send",
      "message/stream",
      "tasks/get",
      "message/stream",
      "tasks/cancel",
    ]);
  });

  it("lists and serves an agent only to keys allowed to use it", async () => {
    const [a, b] = gateways as [Gateway, Gateway];
    const none = await generateKey(a);
    const headers = { authorization: `Bearer ${none}` };
    const gatewayCard = await (await fetch(`${b.url}/a2a/.well-known/agent-card.json`, { headers })).json();
    expect(gatewayCard.skills).toEqual([]);
    expect((await fetch(`${b.url}/a2a/echo/.well-known/agent-card.json`, { headers })).status).toBe(404);
    const call = await fetch(`${b.url}/a2a/echo`, {
      method: "POST",
      headers: { ...headers, "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "GetTask", params: { id: "x" } }),
    });
    expect(call.status).toBe(404);

    const allowed = await generateKey(a, { object_permission: { agents: ["echo"] } });
    const listed = await (
      await fetch(`${b.url}/a2a/.well-known/agent-card.json`, {
        headers: { authorization: `Bearer ${allowed}` },
      })
    ).json();
    expect(listed.skills.map((s: { id: string }) => s.id)).toEqual(["echo"]);
    const client = await clientFor(b, allowed);
    expect(JSON.stringify(await client.sendMessage(request("hi")))).toContain("echo: hi");
  });

  it("holds agent calls to the key's rate limits, and writes each to the spend log", async () => {
    const [a, b] = gateways as [Gateway, Gateway];
    const limited = await generateKey(a, {
      key_alias: "a2a-limited",
      rpm_limit: 1,
      object_permission: { agents: ["echo"] },
    });
    const call = (id: number) =>
      fetch(`${b.url}/a2a/echo`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${limited}`,
          "content-type": "application/json",
          "a2a-version": "1.0",
        },
        body: JSON.stringify({
          jsonrpc: "2.0",
          id,
          method: "SendMessage",
          params: {
            message: { messageId: crypto.randomUUID(), role: "ROLE_USER", parts: [{ text: "limited" }] },
          },
        }),
      });
    const first = await call(1);
    expect(first.status).toBe(200);
    await first.arrayBuffer();
    const second = await call(2);
    expect(second.status).toBe(429);
    expect(await second.text()).toMatch(/rpm limit of 1 reached/);

    const db = new pg.Client({ connectionString: schema.url });
    await db.connect();
    try {
      let rows: { status: number; call_type: string }[] = [];
      await waitFor(
        "both calls in the spend log",
        async () => {
          ({ rows } = await db.query(
            `SELECT s.status, s.metadata->>'call_type' AS call_type
               FROM routeiq_spend_logs s JOIN routeiq_keys k ON k.key_hash = s.key_hash
              WHERE k.key_alias = 'a2a-limited' AND s.model_group = 'a2a/echo'
              ORDER BY s.started_at`,
          ));
          return rows.length === 2;
        },
        10_000,
      );
      expect(rows.map((r) => [r.status, r.call_type])).toEqual([
        [200, "a2a_call"],
        [429, "a2a_call"],
      ]);
    } finally {
      await db.end();
    }
  });

  it("serves a task only to the key it was created for: another key's get, cancel, resubscribe or message finds nothing", async () => {
    const [a, b] = gateways as [Gateway, Gateway];
    const owner = await generateKey(a, { object_permission: { agents: ["echo"] } });
    const other = await generateKey(a, { object_permission: { agents: ["echo"] } });
    const rpc = async (gateway: Gateway, key: string, method: string, params: unknown) => {
      const response = await fetch(`${gateway.url}/a2a/echo`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 9, method, params }),
      });
      return (await response.json()) as { result?: { id?: string }; error?: { code: number } };
    };
    const wire = (text: string, taskId?: string) => ({
      message: {
        kind: "message",
        messageId: crypto.randomUUID(),
        role: "user",
        parts: [{ kind: "text", text }],
        taskId,
      },
    });
    const created = await rpc(a, owner, "message/send", wire("mine"));
    const taskId = created.result?.id as string;
    expect(taskId).toEqual(expect.any(String));
    // The owner reaches it through either replica.
    expect((await rpc(b, owner, "tasks/get", { id: taskId })).result?.id).toBe(taskId);

    const reached = agent.authorizations.length;
    for (const [method, params] of [
      ["tasks/get", { id: taskId }],
      ["GetTask", { id: taskId }],
      ["tasks/cancel", { id: taskId }],
      ["tasks/resubscribe", { id: taskId }],
      ["message/send", wire("me too", taskId)],
    ] as const) {
      expect(await rpc(b, other, method, params), method).toMatchObject({ id: 9, error: { code: -32001 } });
    }
    // A task no answer ever handed out is as missing, even to the master key.
    expect(await rpc(b, MASTER_KEY, "tasks/get", { id: crypto.randomUUID() })).toMatchObject({
      error: { code: -32001 },
    });
    expect(agent.authorizations.length).toBe(reached);
    expect((await rpc(a, owner, "tasks/get", { id: taskId })).result?.id).toBe(taskId);
  });

  it("refuses push-notification configs, which would have the agent call a URL the caller chose", async () => {
    const [, b] = gateways as [Gateway, Gateway];
    const received = agent.authorizations.length;
    for (const [method, configuration] of [
      ["message/send", { pushNotificationConfig: { url: "http://169.254.169.254/latest/meta-data/" } }],
      ["SendMessage", { taskPushNotificationConfig: { url: "http://127.0.0.1:22/" } }],
      ["SendStreamingMessage", { task_push_notification_config: { url: "http://10.0.0.1/" } }],
    ] as const) {
      const response = await fetch(`${b.url}/a2a/echo`, {
        method: "POST",
        headers: { authorization: `Bearer ${MASTER_KEY}`, "content-type": "application/json" },
        body: JSON.stringify({
          jsonrpc: "2.0",
          id: 7,
          method,
          params: { message: message("hook me"), configuration },
        }),
      });
      expect(await response.json(), method).toMatchObject({ id: 7, error: { code: -32003 } });
    }
    expect(agent.authorizations.length).toBe(received);
  });

  it("refuses hostile agent URLs", async () => {
    const [a] = gateways as [Gateway];
    for (const url of [
      "http://169.254.169.254/",
      "http://localhost/",
      "http://[::1]/",
      "http://192.168.0.1/",
    ]) {
      expect((await admin(a, "/v1/agents", { agent_name: "bad", url })).status, url).toBe(400);
    }
    // OAuth2 clients are for MCP servers; an agent takes a static credential.
    const oauth = await admin(a, "/v1/agents", {
      agent_name: "oauth",
      url: agent.url,
      auth_type: "oauth2",
    });
    expect(oauth.status).toBe(400);
  });
});
