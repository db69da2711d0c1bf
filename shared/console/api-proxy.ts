import { Hono } from "hono";
import { GatewayError } from "../errors";
import type { GatewayEnv } from "../http/env";
import { requestSizeLimit } from "../http/request-size";
import { sameSiteOnly } from "./same-site";
import { consoleSession } from "./session-routes";

/** What the console may call: the management API and the read-only status routes, nothing that spends. */
const REACHABLE = [
  /^\/(key|team|user|spend|global|model|model_group)\/[A-Za-z0-9_/.-]+$/,
  /^\/llmrouter\/(config\/sync\/[a-z]+|deployments|replicas)$/,
  /^\/_health\/ready$/,
];

/** The console sends key, team, user and model edits: small bodies, read whole before they go on. */
const CONSOLE_MAX_BYTES = 1024 * 1024;

/** Sends a request to the gateway itself, through every middleware a CLI call passes. */
export type GatewayFetch = (request: Request) => Response | Promise<Response>;

/**
 * `/ui/api/<path>` is `<path>` called with the master key the session stands for: the console
 * gets the management API's own validation, errors and status codes, and never holds the key.
 */
export function apiProxyRoutes(gateway: GatewayFetch, now: () => number): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  app.all(
    "/ui/api/*",
    sameSiteOnly(),
    requestSizeLimit(() => CONSOLE_MAX_BYTES),
    async (c) => {
      const { masterKey } = await consoleSession(c, now());
      const url = new URL(c.req.url);
      const path = url.pathname.slice("/ui/api".length);
      // A dot segment would be resolved away below, onto a path the patterns never saw.
      const dotted = path.split("/").some((segment) => segment === "." || segment === "..");
      if (dotted || !REACHABLE.some((pattern) => pattern.test(path))) {
        throw new GatewayError({
          status: 404,
          type: "not_found_error",
          code: "route_not_found",
          message: `the console does not call ${c.req.method} ${path}`,
        });
      }
      const headers = new Headers({ authorization: `Bearer ${masterKey}` });
      const contentType = c.req.header("content-type");
      if (contentType !== undefined) headers.set("content-type", contentType);
      const hasBody = c.req.method !== "GET" && c.req.method !== "HEAD";
      const answer = await gateway(
        new Request(new URL(`${path}${url.search}`, url.origin), {
          method: c.req.method,
          headers,
          body: hasBody ? await c.req.arrayBuffer() : undefined,
        }),
      );
      return new Response(answer.body, {
        status: answer.status,
        headers: {
          "content-type": answer.headers.get("content-type") ?? "application/json",
          "cache-control": "no-store",
        },
      });
    },
  );
  return app;
}
