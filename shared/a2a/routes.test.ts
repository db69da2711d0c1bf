import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type A2aAgentServer, startA2aAgent } from "../../test/support/a2a-agent";
import type { Principal } from "../auth/principal";
import type { AppDeps } from "../deps";
import type { GatewayEnv } from "../http/env";
import { MemoryKv } from "../store/kv/memory";
import type { A2aAgent, A2aRegistry } from "./registry";
import { a2aRoutes } from "./routes";
import { taskOwners } from "./task-owners";

/**
 * The proxy route against a real @a2a-js/sdk agent, two keys calling it: whatever spelling a
 * request names another key's task in, it is answered TaskNotFound without reaching the agent.
 */
let agent: A2aAgentServer;
let app: Hono<GatewayEnv>;
let released = 0;

const keyOf = (name: string): Principal =>
  ({
    kind: "virtual_key",
    keyHash: `hash-${name}`,
    context: { key: { objectPermission: {}, keyAlias: name }, subjects: [] },
  }) as unknown as Principal;

beforeAll(async () => {
  agent = await startA2aAgent("echo");
  const echo = {
    name: "echo",
    url: agent.url,
    authType: "none",
    credentials: {},
    allowAllKeys: true,
  } as unknown as A2aAgent;
  const registry = { get: (name: string) => (name === "echo" ? echo : undefined), all: () => [echo] };
  const deps = {
    metrics: { upstreamCall: () => {} },
    logger: { info: () => {} },
    spendLog: { record: () => {} },
    limiter: { admit: async () => ({ finish: () => void released++ }) },
  } as unknown as AppDeps;
  app = new Hono<GatewayEnv>();
  app.use(async (c, next) => {
    c.set("deps", deps);
    c.set("principal", keyOf(c.req.header("x-test-key") ?? "a"));
    c.set("requestId", "test");
    await next();
  });
  app.route("/", a2aRoutes(registry as unknown as A2aRegistry, fetch, undefined, taskOwners(new MemoryKv())));
});
afterAll(async () => {
  await agent?.close();
});

async function rpc(key: string, method: string, params: unknown): Promise<Record<string, unknown>> {
  const response = await app.request("/a2a/echo", {
    method: "POST",
    headers: { "content-type": "application/json", "a2a-version": "1.0", "x-test-key": key },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  return (await response.json()) as Record<string, unknown>;
}

const message = (text: string, extra: Record<string, unknown> = {}) => ({
  message: { messageId: crypto.randomUUID(), role: "ROLE_USER", parts: [{ text }], ...extra },
});

describe("A2A proxy: another key's task", () => {
  it("is not reached by task_id, a non-string taskId or referenced task ids, and each call is released", async () => {
    const created = await rpc("a", "SendMessage", message("secret plan"));
    const task = (created.result as { task?: { id?: string } }).task;
    expect(typeof task?.id).toBe("string");
    const id = task?.id as string;
    // The owner continues its own task's context by reference.
    const own = await rpc("a", "SendMessage", message("more", { referenceTaskIds: [id] }));
    expect(own.error).toBeUndefined();

    const before = agent.authorizations.length;
    const releasedBefore = released;
    for (const extra of [
      { taskId: id },
      { task_id: id },
      { taskId: [id] },
      { referenceTaskIds: [id] },
      { reference_task_ids: [id] },
    ]) {
      const answer = await rpc("b", "SendMessage", message("show me", extra));
      expect(answer.error, JSON.stringify(extra)).toMatchObject({ code: -32001 });
    }
    expect(agent.authorizations.length).toBe(before);
    expect(released - releasedBefore).toBe(5);
  });
});
