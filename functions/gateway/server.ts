import { readFileSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { Agent, fetch as undiciFetch } from "undici";
import { createApp } from "../../shared/app";
import { loadConfig } from "../../shared/config/load";
import type { RuntimeConfig } from "../../shared/config/runtime-config";
import type { AppDeps } from "../../shared/deps";
import { Lifecycle } from "../../shared/http/lifecycle";
import { jsonLogger, type Logger } from "../../shared/logging/logger";
import type { GatewayMetrics } from "../../shared/metrics/port";
import { prometheusMetrics } from "../../shared/metrics/prometheus";
import { MemoryRouterState } from "../../shared/router/memory-state";
import type { NodeEnv } from "./env";

export interface NodeGatewayOptions {
  readonly configPath: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly nodeEnv: NodeEnv;
  readonly logger?: Logger;
  readonly metrics?: GatewayMetrics;
}

export interface NodeGateway {
  readonly url: string;
  readonly deps: AppDeps;
  /** Drain: refuse new requests, let in-flight ones (streams too) finish, then close. */
  shutdown(): Promise<void>;
}

/** Reads and validates the config file; throws ConfigError listing every problem. */
export function readConfigFile(path: string, env: NodeGatewayOptions["env"], logger: Logger): RuntimeConfig {
  const { config, warnings } = loadConfig(readFileSync(path, "utf8"), env, path);
  for (const warning of warnings) logger.warn("config key ignored", { path, detail: warning });
  return config;
}

/** Builds the Node deps, serves the app, and returns a handle for tests and the CLI. */
export async function startNodeGateway(options: NodeGatewayOptions): Promise<NodeGateway> {
  const logger = options.logger ?? jsonLogger();
  const config = readConfigFile(options.configPath, options.env, logger);
  if (config.masterKey === undefined) {
    logger.warn(
      "NO MASTER KEY CONFIGURED: the gateway is open to anyone who can reach it. Set general_settings.master_key or LITELLM_MASTER_KEY.",
    );
  }
  // One pooled keep-alive agent for every upstream call of this process.
  const agent = new Agent({
    keepAliveTimeout: 30_000,
    connections: options.nodeEnv.ROUTEIQ_UPSTREAM_CONNECTIONS,
  });
  const lifecycle = new Lifecycle();
  const deps: AppDeps = {
    config: { current: () => config },
    routerState: new MemoryRouterState(),
    metrics: options.metrics ?? prometheusMetrics(),
    logger,
    lifecycle,
    readiness: [],
    fetch: ((input: RequestInfo | URL, init?: RequestInit) =>
      undiciFetch(input as Parameters<typeof undiciFetch>[0], {
        ...(init as Parameters<typeof undiciFetch>[1]),
        dispatcher: agent,
      })) as typeof fetch,
    random: Math.random,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  };
  const app = createApp(deps);
  const server = await new Promise<Server>((resolve) => {
    const s = serve({ fetch: app.fetch, port: options.nodeEnv.PORT, hostname: options.nodeEnv.HOST }, () =>
      resolve(s as Server),
    );
  });
  const { port } = server.address() as AddressInfo;
  const host = options.nodeEnv.HOST === "0.0.0.0" ? "127.0.0.1" : options.nodeEnv.HOST;
  logger.info("gateway listening", { port, models: [...config.groups.keys()], config: options.configPath });

  let closing: Promise<void> | undefined;
  const shutdown = () => {
    closing ??= (async () => {
      lifecycle.startDrain();
      logger.info("draining", { in_flight: lifecycle.inFlight });
      const deadline = Date.now() + options.nodeEnv.ROUTEIQ_DRAIN_TIMEOUT_SECONDS * 1000;
      let closed = false;
      server.close(() => {
        closed = true;
      });
      const drained = await lifecycle.idle(deadline - Date.now());
      // A finished response may still be flushing; its connection turns idle once written.
      while (!closed && Date.now() < deadline) {
        server.closeIdleConnections();
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      if (!drained || !closed) {
        logger.warn("drain timeout passed; closing remaining connections", { in_flight: lifecycle.inFlight });
        server.closeAllConnections();
      }
      await agent.close();
      logger.info("stopped");
    })();
    return closing;
  };
  return { url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`, deps, shutdown };
}
