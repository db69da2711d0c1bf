import { Hono } from "hono";
import type { ConfigSource } from "../deps";
import { masterKeyAuth } from "../http/auth";
import type { GatewayEnv } from "../http/env";
import type { OutboundPolicy } from "../http/outbound-url-policy";
import type { ReadinessCheck } from "../http/readiness";
import { requestSizeLimit } from "../http/request-size";
import type { Logger } from "../logging/logger";
import type { GatewayModule } from "../module";
import { credentialSeal } from "../registered-upstreams/sealed-credentials";
import type { Kv } from "../store/kv/port";
import type { Sql } from "../store/sql/port";
import { MCP_ADMIN_PATHS, mcpAdminRoutes } from "./admin-routes";
import { McpRegistry } from "./registry";
import { MCP_PATHS, mcpRoutes } from "./routes";
import { McpUpstreams } from "./upstream-clients";

export interface McpGatewayOptions {
  readonly config: ConfigSource;
  readonly sql: Sql;
  readonly kv: Kv;
  readonly logger: Logger;
  /** How upstream MCP servers are called: bounded in time and size, guarded at connect time. */
  readonly fetch: typeof fetch;
  /** The policy for registered URLs (private ranges refused unless allowed). */
  readonly outbound: OutboundPolicy;
  /** What credentials are sealed under: LITELLM_SALT_KEY, else the master key. */
  readonly credentialSecret: () => string | undefined;
  /** Longest one upstream request may take (default 60 s). */
  readonly requestTimeoutMs?: number;
}

export interface McpGateway {
  readonly module: GatewayModule;
  /** Information only: passes whatever the upstreams do, and names those that failed last. */
  readonly readiness: ReadinessCheck;
  /** Loads the registered servers and follows changes; resolves to a function that stops. */
  listen(): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/** The MCP gateway (MCP_GATEWAY_ENABLED): `/mcp`, `/mcp/<server>` and `/v1/mcp/server`. */
export function mcpGateway(options: McpGatewayOptions): McpGateway {
  const seal = credentialSeal(options.credentialSecret, "routeiq mcp server credentials v1");
  const registry = new McpRegistry({ ...options, seal });
  const upstreams = new McpUpstreams({
    fetch: options.fetch,
    requestTimeoutMs: options.requestTimeoutMs ?? 60_000,
  });
  const config = () => options.config.current();
  const routes = new Hono<GatewayEnv>();
  for (const path of MCP_ADMIN_PATHS) {
    routes.use(
      path,
      masterKeyAuth(() => config().masterKey),
      requestSizeLimit(() => config().maxRequestBytes),
    );
  }
  routes.route(
    "/",
    mcpAdminRoutes({ sql: options.sql, registry, upstreams, seal, outbound: options.outbound }),
  );
  routes.route("/", mcpRoutes(registry, upstreams));
  return {
    module: { routes, apiPaths: MCP_PATHS },
    readiness: {
      name: "mcp",
      check: async () => {},
      warning: async () => {
        const failing = [...upstreams.failing().keys()].filter((name) => registry.get(name) !== undefined);
        return failing.length === 0
          ? undefined
          : `MCP servers unreachable at their last call: ${failing.join(", ")}`;
      },
    },
    listen: () => registry.listen(),
    close: () => upstreams.close(),
  };
}
