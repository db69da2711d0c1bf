import type { MiddlewareHandler } from "hono";
import { serviceUnavailable } from "../errors";
import type { Lifecycle } from "./lifecycle";

/**
 * Admits a request unless the process is draining or at its concurrency limit: a fast 503 with
 * `retry-after` lets the load balancer send it elsewhere instead of this replica falling over.
 */
export const admission = (lifecycle: Lifecycle, limit: () => number | undefined): MiddlewareHandler =>
  async function admission(_c, next) {
    if (lifecycle.draining) throw serviceUnavailable("gateway is shutting down; retry on another replica", 1);
    const max = limit();
    if (max !== undefined && lifecycle.inFlight >= max) {
      throw serviceUnavailable(`gateway is at its limit of ${max} concurrent requests`, 1);
    }
    await next();
  };
