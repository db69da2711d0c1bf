import type { MiddlewareHandler } from "hono";
import { serviceUnavailable } from "../errors";
import type { Lifecycle } from "./lifecycle";
import { onStreamEnd } from "./stream-end";

/**
 * Admits a request unless the process is draining or at its concurrency limit: a fast 503 with
 * `retry-after` lets the load balancer send it elsewhere instead of this replica falling over.
 * Counts the request in flight until its response (stream included) is finished.
 */
export const admission = (lifecycle: Lifecycle, limit: () => number | undefined): MiddlewareHandler =>
  async function admission(c, next) {
    if (lifecycle.draining) throw serviceUnavailable("gateway is shutting down; retry on another replica", 1);
    const max = limit();
    if (max !== undefined && lifecycle.inFlight >= max) {
      throw serviceUnavailable(`gateway is at its limit of ${max} concurrent requests`, 1);
    }
    lifecycle.enter();
    let handedOff = false;
    try {
      await next();
      const body = c.res.body;
      if (body !== null && c.res.headers.get("content-type")?.startsWith("text/event-stream")) {
        handedOff = true;
        c.res = new Response(
          onStreamEnd(body, () => lifecycle.leave()),
          c.res,
        );
      }
    } finally {
      if (!handedOff) lifecycle.leave();
    }
  };
