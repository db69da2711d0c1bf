import type { CacheRoute } from "../cache/key";
import type { Deployment } from "../config/deployment";
import { GatewayError, UpstreamError } from "../errors";
import { forRequestedModel } from "../router/wildcard-routes";

/**
 * A 404 from an upstream about what the client chose is the client's error: a model name a
 * wildcard route passed through (see `forRequestedModel`), or an operation the deployment does not
 * serve (`/v1/completions` for a chat model, which OpenAI answers 404). It is answered as such and
 * never counted against the deployment: otherwise one request could cool a whole group down.
 */
export function clientChosen404<T>(d: Deployment, operation: CacheRoute, result: Promise<T>): Promise<T> {
  if (d.wildcard !== undefined) return forRequestedModel(d, result);
  if ((d.mode ?? "chat") === operation) return result;
  return result.catch((error: unknown) => {
    if (error instanceof UpstreamError && error.kind === "http" && error.status === 404) {
      throw new GatewayError({
        status: 400,
        type: "invalid_request_error",
        code: "unsupported_operation",
        param: "model",
        message: `${d.modelGroup} does not serve this operation (its upstream answered 404): ${error.message}`,
      });
    }
    throw error;
  });
}
