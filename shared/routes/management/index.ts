import { Hono } from "hono";
import type { GatewayEnv } from "../../http/env";
import { keyRoutes } from "./key-routes";
import { spendRoutes } from "./spend-routes";
import { teamRoutes } from "./team-routes";
import { userRoutes } from "./user-routes";

/** LiteLLM's management API (keys, teams, users, spend); the caller mounts it behind the master key. */
export function managementRoutes(): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  app.route("/", keyRoutes());
  app.route("/", teamRoutes());
  app.route("/", userRoutes());
  app.route("/", spendRoutes());
  return app;
}
