import { Hono } from "hono";
import type { GatewayEnv } from "../http/env";
import type { GatewayModule } from "../module";
import { apiProxyRoutes, type GatewayFetch } from "./api-proxy";
import type { ConsoleAssets } from "./assets";
import { assetRoutes } from "./serve-assets";
import { type ClientAddress, sessionRoutes } from "./session-routes";

export interface ConsoleOptions {
  /** The built console; undefined when it was not built (`/ui` then says how to build it). */
  readonly assets: ConsoleAssets | undefined;
  /** The gateway app itself, which the console's API calls go through. */
  readonly gateway: GatewayFetch;
  /** The client's address, which sign-in limits failures by (the socket's peer on Node). */
  readonly clientAddress: ClientAddress;
  readonly now?: () => number;
}

/** The operator console at `/ui`: its page and assets, sign-in, and its way into the management API. */
export function consoleModule({
  assets,
  gateway,
  clientAddress,
  now = Date.now,
}: ConsoleOptions): GatewayModule {
  const routes = new Hono<GatewayEnv>();
  routes.route("/", assetRoutes(assets));
  routes.route("/", sessionRoutes(now, clientAddress));
  routes.route("/", apiProxyRoutes(gateway, now));
  return { routes, apiPaths: [] };
}
