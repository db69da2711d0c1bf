import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type AgentCard, Role, TaskState } from "@a2a-js/sdk";
import {
  AgentEvent,
  type AgentExecutor,
  DefaultRequestHandler,
  type ExecutionEventBus,
  InMemoryTaskStore,
  type RequestContext,
} from "@a2a-js/sdk/server";
import { agentCardHandler, jsonRpcHandler, UserBuilder } from "@a2a-js/sdk/server/express";
import express from "express";

export interface A2aAgentServer {
  /** The agent's JSON-RPC endpoint; its card is at /.well-known/agent-card.json. */
  readonly url: string;
  /** Authorization headers of the JSON-RPC requests it received. */
  readonly authorizations: (string | undefined)[];
  close(): Promise<void>;
}

const textOf = (context: RequestContext) =>
  context.userMessage.parts.map((p) => (p.content?.$case === "text" ? p.content.value : "")).join("");

const status = (context: RequestContext, state: TaskState, text?: string) =>
  AgentEvent.statusUpdate({
    taskId: context.taskId,
    contextId: context.contextId,
    status: {
      state,
      timestamp: new Date().toISOString(),
      message:
        text === undefined
          ? undefined
          : {
              messageId: crypto.randomUUID(),
              contextId: context.contextId,
              taskId: context.taskId,
              role: Role.ROLE_AGENT,
              parts: [{ content: { $case: "text", value: text } }] as never,
              metadata: undefined,
              extensions: [],
              referenceTaskIds: [],
            },
    },
    metadata: undefined,
  });

/**
 * An agent built with @a2a-js/sdk: it answers `echo: <text>` and completes, except for `wait`,
 * which leaves its task working until it is cancelled.
 */
const executor: AgentExecutor = {
  async execute(context: RequestContext, bus: ExecutionEventBus) {
    bus.publish(
      AgentEvent.task({
        id: context.taskId,
        contextId: context.contextId,
        status: {
          state: TaskState.TASK_STATE_SUBMITTED,
          message: undefined,
          timestamp: new Date().toISOString(),
        },
        artifacts: [],
        history: [context.userMessage],
        metadata: undefined,
      }),
    );
    const text = textOf(context);
    if (text === "wait") {
      bus.publish(status(context, TaskState.TASK_STATE_WORKING, "working"));
      return;
    }
    bus.publish(status(context, TaskState.TASK_STATE_COMPLETED, `echo: ${text}`));
    bus.finished();
  },
  async cancelTask(taskId: string, bus: ExecutionEventBus) {
    bus.publish(
      AgentEvent.statusUpdate({
        taskId,
        contextId: "",
        status: {
          state: TaskState.TASK_STATE_CANCELED,
          message: undefined,
          timestamp: new Date().toISOString(),
        },
        metadata: undefined,
      }),
    );
    bus.finished();
  },
};

export async function startA2aAgent(name: string): Promise<A2aAgentServer> {
  const authorizations: (string | undefined)[] = [];
  const app = express();
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}/`;
  const card = {
    name,
    description: `${name} echoes`,
    // A2A 1.0, and 0.3 (message/send, tasks/get, ...) through the SDK's compatibility layer.
    supportedInterfaces: [
      { url, protocolBinding: "JSONRPC", tenant: "", protocolVersion: "1.0" },
      { url, protocolBinding: "JSONRPC", tenant: "", protocolVersion: "0.3" },
    ],
    provider: undefined,
    version: "1.0.0",
    capabilities: { streaming: true, pushNotifications: false, extensions: [] },
    securitySchemes: {},
    securityRequirements: [],
    defaultInputModes: ["text/plain"],
    defaultOutputModes: ["text/plain"],
    skills: [],
    signatures: [],
  } as unknown as AgentCard;
  const handler = new DefaultRequestHandler(card, new InMemoryTaskStore(), executor);
  app.use("/.well-known/agent-card.json", agentCardHandler({ agentCardProvider: handler }));
  app.use("/", (req, _res, next) => {
    if (req.method === "POST") authorizations.push(req.headers.authorization);
    next();
  });
  app.use(
    "/",
    jsonRpcHandler({
      requestHandler: handler,
      userBuilder: UserBuilder.noAuthentication,
      legacyCompat: { enabled: true },
    }),
  );
  return {
    url,
    authorizations,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
