import { Hono, type MiddlewareHandler } from "hono";
import { createApp } from "../../shared/app";
import type { AppDeps } from "../../shared/deps";
import type { GatewayEnv } from "../../shared/http/env";
import { errorHandler, routeNotFound } from "../../shared/http/error-handler";
import { regionRoutes } from "./region-routes";

/**
 * The most a request's after-answer work may wait for its spend rows to be written. Workers give
 * `waitUntil` 30 s after the answer; rows still unwritten then stay queued in the isolate and go
 * out with the next request's.
 */
const FLUSH_BUDGET_MS = 20_000;

/**
 * Keeps each request's isolate alive, after its answer (streams: after they end), until what it
 * queued is written: its spend row, its limit release, its router counts, its cache store. A
 * Worker may be evicted at any moment once no request or `waitUntil` holds it, so nothing is left
 * for a later request or a timer to write. Held from the request's start: a client that leaves
 * early would otherwise cancel what the request started, lookups other requests share included.
 */
export const settleAfterAnswer = (
  flush: (timeoutMs: number) => Promise<number>,
  onLeft: (count: number) => void,
): MiddlewareHandler<GatewayEnv> =>
  async function settleAfterAnswer(c, next) {
    let handled = () => {};
    const answered = new Promise<void>((resolve) => {
      handled = resolve;
    });
    c.executionCtx.waitUntil(
      answered.then(async () => {
        await c.get("accounted");
        const left = await flush(FLUSH_BUDGET_MS);
        if (left > 0) onLeft(left);
      }),
    );
    try {
      await next();
    } finally {
      handled();
    }
  };

/**
 * The gateway as the edge serves it: `createApp` on the edge's deps, the region's routes
 * forwarded or refused (region-routes.ts), and every request's writes finished under `waitUntil`.
 */
export function edgeApp(
  deps: AppDeps,
  options: { readonly regionUrl: string | undefined; readonly flush: (timeoutMs: number) => Promise<number> },
): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  app.onError(errorHandler(deps.logger));
  app.notFound(routeNotFound);
  app.use(
    settleAfterAnswer(options.flush, (count) =>
      deps.logger.warn("spend log rows not written yet; a later request retries them", { count }),
    ),
  );
  app.route("/", regionRoutes(options.regionUrl, deps.fetch));
  app.route("/", createApp(deps));
  return app;
}
