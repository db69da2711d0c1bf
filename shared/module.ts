import type { Hono } from "hono";
import type { GatewayEnv } from "./http/env";

/**
 * A capability in a folder of its own (learned routing, say), mounted by `createApp` beside the
 * core routes: its routes at the root, and which of them are served like the API (admission, the
 * caller's key, the request size limit).
 */
export interface GatewayModule {
  readonly routes: Hono<GatewayEnv>;
  readonly apiPaths: readonly string[];
}
