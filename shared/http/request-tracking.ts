import type { MiddlewareHandler } from "hono";
import type { GatewayMetrics } from "../metrics/port";
import type { GatewayEnv } from "./env";
import type { Lifecycle } from "./lifecycle";
import { requestLogFields } from "./request-log";
import { onStreamEnd } from "./stream-end";

/**
 * Counts a request in flight (for graceful drain and the in-flight gauge) until its response is
 * finished, streams included, then records its status and latency and logs its line: at info, or
 * at warn when the gateway answered 5xx.
 */
export const requestTracking = (
  lifecycle: Lifecycle,
  metrics: GatewayMetrics,
): MiddlewareHandler<GatewayEnv> =>
  async function requestTracking(c, next) {
    const started = Date.now();
    lifecycle.enter();
    metrics.requestStarted();
    const finish = () => {
      const status = c.res.status;
      lifecycle.leave();
      const latencyMs = Date.now() - started;
      // Read after routing: the matched pattern, never the raw path, keeps label cardinality bounded.
      metrics.requestFinished(c.req.routePath, c.get("requestedModel") ?? "", status, latencyMs);
      const logger = c.get("deps").logger;
      (status >= 500 ? logger.warn : logger.info)("request", requestLogFields(c, status, latencyMs));
    };
    try {
      await next();
    } catch (error) {
      finish();
      throw error;
    }
    // Headers first: reading `body` makes the Node adapter build a full Response, needed only for streams.
    if (c.res.headers.get("content-type")?.startsWith("text/event-stream") && c.res.body !== null) {
      c.res = new Response(onStreamEnd(c.res.body, finish), c.res);
    } else {
      finish();
    }
  };
