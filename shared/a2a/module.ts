import { Hono } from "hono";
import type { ConfigSource } from "../deps";
import { masterKeyAuth } from "../http/auth";
import type { GatewayEnv } from "../http/env";
import type { OutboundPolicy } from "../http/outbound-url-policy";
import { requestSizeLimit } from "../http/request-size";
import type { Logger } from "../logging/logger";
import type { GatewayModule } from "../module";
import { credentialSeal } from "../registered-upstreams/sealed-credentials";
import type { Kv } from "../store/kv/port";
import type { Sql } from "../store/sql/port";
import { A2A_ADMIN_PATHS, a2aAdminRoutes } from "./admin-routes";
import { A2aRegistry } from "./registry";
import { A2A_PATHS, a2aRoutes } from "./routes";
import { taskOwners } from "./task-owners";

export interface A2aGatewayOptions {
  readonly config: ConfigSource;
  readonly sql: Sql;
  readonly kv: Kv;
  readonly logger: Logger;
  /** How agents are called: bounded in time and size, guarded at connect time. */
  readonly fetch: typeof fetch;
  readonly outbound: OutboundPolicy;
  readonly credentialSecret: () => string | undefined;
  /** The gateway's public address, for the endpoints cards name; unset, each request's origin. */
  readonly publicUrl?: string | undefined;
}

/** The A2A gateway (A2A_GATEWAY_ENABLED): `/a2a/<agent>` and `/v1/agents`. */
export function a2aGateway(options: A2aGatewayOptions): {
  readonly module: GatewayModule;
  listen(): Promise<() => Promise<void>>;
} {
  const seal = credentialSeal(options.credentialSecret, "routeiq a2a agent credentials v1");
  const registry = new A2aRegistry({ ...options, seal });
  const config = () => options.config.current();
  const routes = new Hono<GatewayEnv>();
  for (const path of A2A_ADMIN_PATHS) {
    routes.use(
      path,
      masterKeyAuth(() => config().masterKey),
      requestSizeLimit(() => config().maxRequestBytes),
    );
  }
  routes.route("/", a2aAdminRoutes({ sql: options.sql, registry, seal, outbound: options.outbound }));
  routes.route("/", a2aRoutes(registry, options.fetch, options.publicUrl, taskOwners(options.kv)));
  return { module: { routes, apiPaths: A2A_PATHS }, listen: () => registry.listen() };
}
