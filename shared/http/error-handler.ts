import type { ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { GatewayError } from "../errors";
import type { Logger } from "../logging/logger";
import { ClientClosedError } from "../router/attempt";
import { DatabaseUnavailableError } from "../store/sql/unavailable";

function fromHttpException(error: HTTPException): GatewayError {
  if (error.status === 413) {
    return new GatewayError({
      status: 413,
      type: "invalid_request_error",
      code: "request_too_large",
      message: error.message || "request body is too large",
    });
  }
  return new GatewayError({
    status: error.status,
    type: error.status >= 500 ? "api_error" : "invalid_request_error",
    code: `http_${error.status}`,
    message: error.message,
  });
}

/** The one place an error becomes a response: the OpenAI error shape, the right status, no stack. */
export const errorHandler = (logger: Logger): ErrorHandler =>
  function errorHandler(error, c) {
    let gatewayError: GatewayError;
    if (error instanceof ClientClosedError) {
      // Nobody is listening; nginx's convention 499 keeps it out of the 5xx alarms.
      return c.body(null, 499 as ContentfulStatusCode);
    }
    if (error instanceof GatewayError) gatewayError = error;
    else if (error instanceof HTTPException) gatewayError = fromHttpException(error);
    else if (error instanceof DatabaseUnavailableError) {
      // A failover or outage, not a bug: the client learns to retry, the log keeps the cause.
      logger.warn("request needs the database, which is unavailable", {
        request_id: c.get("requestId"),
        error: error.message,
      });
      gatewayError = new GatewayError({
        status: 503,
        type: "service_unavailable_error",
        code: "database_unavailable",
        message: "the database is unavailable (an outage or failover); retry shortly",
        headers: { "retry-after": "5" },
      });
    } else {
      logger.error("unhandled error", {
        request_id: c.get("requestId"),
        error: error.stack ?? String(error),
      });
      gatewayError = new GatewayError({
        status: 500,
        type: "api_error",
        code: "internal_error",
        message: `internal error; quote request id ${c.get("requestId")} when reporting it`,
      });
    }
    for (const [name, value] of Object.entries(gatewayError.headers)) c.header(name, value);
    return c.json(
      {
        error: {
          message: gatewayError.message,
          type: gatewayError.type,
          param: gatewayError.param,
          code: gatewayError.code,
        },
      },
      gatewayError.status as ContentfulStatusCode,
    );
  };

/** A path no route serves: the same error shape as every other, naming what was asked. */
export const routeNotFound: NotFoundHandler = function routeNotFound(c) {
  throw new GatewayError({
    status: 404,
    type: "not_found_error",
    code: "route_not_found",
    message: `no route for ${c.req.method} ${c.req.path}`,
  });
};
