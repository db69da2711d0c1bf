import { type Context, Hono } from "hono";
import { z } from "zod";
import { GatewayError } from "../errors";
import type { GatewayEnv } from "../http/env";
import { readJson, validate } from "../http/parse-body";
import { upstreamAccess } from "../registered-upstreams/access";
import { authHeaders } from "../registered-upstreams/auth";
import { admitUpstreamCall } from "../registered-upstreams/call-record";
import { sessionScopeOf } from "../responses-api/session-store";
import type { A2aAgent, A2aRegistry } from "./registry";
import { claimAnswer, claimingStream, type TaskOwners, tasksNamedBy } from "./task-owners";

/** Hono matches `/a2a/*` against `/a2a` too; listing both ran a request's admission and auth twice. */
export const A2A_PATHS = ["/a2a/*"] as const;
const CARD_PATH = "/.well-known/agent-card.json";

/** What the proxy forwards: A2A 0.3's method names and 1.0's. Push-notification config is not proxied. */
const METHODS: ReadonlySet<string> = new Set([
  "message/send",
  "message/stream",
  "tasks/get",
  "tasks/cancel",
  "tasks/resubscribe",
  "SendMessage",
  "SendStreamingMessage",
  "GetTask",
  "CancelTask",
  "SubscribeToTask",
]);
/**
 * Where a send's params may carry a push-notification config (A2A 0.3's name, 1.0's, and their
 * snake_case spellings): a webhook URL the agent would call, which a caller must not be able to
 * point at addresses the gateway itself may not reach.
 */
const PUSH_CONFIG_FIELDS = [
  "pushNotificationConfig",
  "taskPushNotificationConfig",
  "push_notification_config",
  "task_push_notification_config",
] as const;

/** Whether a request asks the agent to call a URL of the caller's choosing (push notifications). */
function asksForPush(body: unknown): boolean {
  const params = (body as { params?: unknown }).params;
  if (typeof params !== "object" || params === null) return false;
  const configuration = (params as { configuration?: unknown }).configuration;
  if (typeof configuration !== "object" || configuration === null) return false;
  const fields = configuration as Record<string, unknown>;
  return PUSH_CONFIG_FIELDS.some((name) => fields[name] !== undefined && fields[name] !== null);
}

const FORWARDED_HEADERS = ["a2a-version", "a2a-extensions", "x-a2a-extensions"] as const;

const rpcSchema = z.looseObject({
  jsonrpc: z.literal("2.0"),
  method: z.string().max(128),
  id: z.union([z.string().max(256), z.number(), z.null()]).optional(),
});

const noSuchAgent = (name: string) =>
  new GatewayError({
    status: 404,
    type: "not_found_error",
    code: "agent_not_found",
    message: `no agent named ${name}`,
  });

const unreachable = (name: string) =>
  new GatewayError({
    status: 502,
    type: "api_error",
    code: "agent_unreachable",
    message: `agent ${name} could not be reached`,
  });

/** The agent `name`, if this caller may use it; otherwise as missing as an agent that does not exist. */
function agentFor(c: Context<GatewayEnv>, registry: A2aRegistry, name: string): A2aAgent {
  const agent = registry.get(name);
  const visible = upstreamAccess(c.get("principal"), (p) => p.agents);
  if (agent === undefined || !visible(agent.name, agent.allowAllKeys)) throw noSuchAgent(name);
  return agent;
}

/** A2A's TaskNotFoundError: another caller's task is as missing as one that never existed. */
const taskNotFound = (id: string | number | null | undefined, taskId: string) => ({
  jsonrpc: "2.0",
  id: id ?? null,
  error: { code: -32001, message: `task not found: ${taskId.slice(0, 128)}` },
});

/** A body stream that calls `done` once, when it ends, fails or the client leaves. */
function watched(
  body: ReadableStream<Uint8Array>,
  done: (outcome: string) => void,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { value, done: ended } = await reader.read();
        if (ended) {
          done("ok");
          return controller.close();
        }
        controller.enqueue(value);
      } catch (error) {
        done("stream_error");
        controller.error(error);
      }
    },
    async cancel(reason) {
      done("client_left");
      await reader.cancel(reason);
    },
  });
}

/**
 * The A2A gateway's routes: each agent's card (its endpoints pointed at the gateway), the
 * gateway's own card listing the agents the caller may use, and a JSON-RPC proxy per agent
 * (`message/send`, `message/stream` as SSE, `tasks/get`, `tasks/cancel`, and their A2A 1.0 names).
 */
export function a2aRoutes(
  registry: A2aRegistry,
  upstream: typeof fetch,
  publicUrl: string | undefined,
  owners: TaskOwners,
): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  // Behind a proxy the request's Host is whatever the client sent: a configured address wins.
  const origin = (c: Context<GatewayEnv>) => (publicUrl ?? new URL(c.req.url).origin).replace(/\/+$/, "");
  const base = (c: Context<GatewayEnv>, name: string) => `${origin(c)}/a2a/${name}`;

  app.get(`/a2a${CARD_PATH}`, (c) => {
    const visible = upstreamAccess(c.get("principal"), (p) => p.agents);
    const agents = registry.all().filter((a) => visible(a.name, a.allowAllKeys));
    return c.json({
      name: "RouteIQ A2A gateway",
      description:
        "The agents this key may use; each has its own card at /a2a/<agent>/.well-known/agent-card.json",
      version: "1",
      skills: agents.map((a) => ({
        id: a.name,
        name: a.name,
        description: a.description ?? "",
        tags: ["agent"],
      })),
      capabilities: { streaming: true },
      defaultInputModes: ["text/plain"],
      defaultOutputModes: ["text/plain"],
      url: `${origin(c)}/a2a`,
    });
  });

  app.get(`/a2a/:agent${CARD_PATH}`, async (c) => {
    const agent = agentFor(c, registry, c.req.param("agent"));
    let card: Record<string, unknown>;
    try {
      const response = await upstream(new URL(CARD_PATH, agent.url), {
        headers: authHeaders(agent.authType, agent.credentials),
      });
      if (!response.ok) throw new Error(`status ${response.status}`);
      card = (await response.json()) as Record<string, unknown>;
    } catch {
      throw unreachable(agent.name);
    }
    const url = base(c, agent.name);
    // Clients must come back through the gateway, never go to the agent directly.
    const interfaces = Array.isArray(card.supportedInterfaces)
      ? (card.supportedInterfaces as Record<string, unknown>[])
          .filter((i) => i.protocolBinding === "JSONRPC")
          .map((i) => ({ ...i, url }))
      : undefined;
    const { additionalInterfaces: _dropped, ...rest } = card;
    return c.json({
      ...rest,
      ...(typeof card.url === "string" ? { url, preferredTransport: "JSONRPC" } : {}),
      ...(interfaces === undefined ? {} : { supportedInterfaces: interfaces }),
    });
  });

  app.post("/a2a/:agent", async (c) => {
    const agent = agentFor(c, registry, c.req.param("agent"));
    const body = await readJson(c);
    const rpc = validate(rpcSchema, body);
    if (!METHODS.has(rpc.method)) {
      return c.json({
        jsonrpc: "2.0",
        id: rpc.id ?? null,
        error: { code: -32601, message: `method not served by the gateway: ${rpc.method}` },
      });
    }
    if (asksForPush(body)) {
      // A2A's PushNotificationNotSupportedError: the agent would POST to whatever URL the caller named.
      return c.json({
        jsonrpc: "2.0",
        id: rpc.id ?? null,
        error: {
          code: -32003,
          message:
            "push notifications are not proxied by the gateway: leave out configuration.pushNotificationConfig",
        },
      });
    }
    const done = await admitUpstreamCall(c.get("deps"), c.get("principal"), {
      gateway: "a2a",
      upstream: agent.name,
      method: rpc.method,
      requestId: c.get("requestId"),
    });
    const started = Date.now();
    const finish = (outcome: string) => done(outcome, Date.now() - started);
    // Whatever fails below, the call is recorded and its admission given back (once: `done` is idempotent).
    try {
      const owner = sessionScopeOf(c.get("principal"));
      const named = tasksNamedBy(rpc.method, (body as { params?: unknown }).params);
      const owned = await Promise.all(named.map((id) => owners.owns(agent.name, id, owner)));
      const missing = named.find((_, i) => !owned[i]);
      if (missing !== undefined) {
        finish("task_not_found");
        return c.json(taskNotFound(rpc.id, missing));
      }
      const headers: Record<string, string> = {
        ...authHeaders(agent.authType, agent.credentials),
        "content-type": "application/json",
        accept: c.req.header("accept") ?? "application/json, text/event-stream",
      };
      for (const name of FORWARDED_HEADERS) {
        const value = c.req.header(name);
        if (value !== undefined) headers[name] = value;
      }
      let response: Response;
      try {
        response = await upstream(agent.url, {
          method: "POST",
          headers,
          body: JSON.stringify(body),
          signal: c.req.raw.signal,
        });
      } catch {
        finish("unreachable");
        throw unreachable(agent.name);
      }
      if (response.status >= 300 && response.status < 400) {
        await response.body?.cancel();
        finish("redirect_refused");
        throw unreachable(agent.name);
      }
      const type = response.headers.get("content-type") ?? "application/json";
      const outcome = response.ok ? "ok" : "upstream_error";
      if (response.body === null) {
        finish(outcome);
        return new Response(null, { status: response.status });
      }
      if (!type.includes("text/event-stream")) {
        // Whole, so its tasks are recorded as the caller's before the caller learns their ids.
        const text = await response.text();
        if (!(await claimAnswer(owners, agent.name, text, owner))) {
          finish("task_of_another_caller");
          throw unreachable(agent.name);
        }
        finish(outcome);
        return new Response(text, { status: response.status, headers: { "content-type": type } });
      }
      const claimed = claimingStream(response.body, (result) => owners.claim(agent.name, result, owner));
      const stream = watched(claimed, (streamed) => finish(streamed === "ok" ? outcome : streamed));
      return new Response(stream, { status: response.status, headers: { "content-type": type } });
    } catch (error) {
      finish("failed");
      throw error;
    }
  });
  return app;
}
