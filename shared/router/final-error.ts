import { GatewayError, type UpstreamError } from "../errors";

/** A group whose every deployment is at its rpm/tpm limit for this minute. */
export function noCapacity(group: string, now = Date.now()): GatewayError {
  const seconds = Math.max(1, Math.ceil((60_000 - (now % 60_000)) / 1000));
  return new GatewayError({
    status: 429,
    type: "rate_limit_error",
    code: "deployment_capacity_exhausted",
    message: `every deployment of "${group}" is at its rpm/tpm limit; retry in ${seconds}s`,
    headers: { "retry-after": String(seconds) },
  });
}

/**
 * What the client sees once retries and fallbacks are exhausted: upstream rate limits pass
 * through as 429 with retry-after, timeouts are 504, other upstream failures 502, and client
 * errors (a 400 the upstream refused) keep their status.
 */
export function finalError(error: UpstreamError | GatewayError): GatewayError {
  if (error instanceof GatewayError) return error;
  if (error.kind === "timeout") {
    return new GatewayError({
      status: 504,
      type: "timeout_error",
      code: "upstream_timeout",
      message: error.message,
    });
  }
  if (error.kind === "context_window") {
    return new GatewayError({
      status: 400,
      type: "invalid_request_error",
      code: "context_length_exceeded",
      message: error.message,
      param: "messages",
    });
  }
  if (error.kind === "http" && error.status === 429) {
    const headers: Record<string, string> =
      error.retryAfterMs === undefined
        ? {}
        : { "retry-after": String(Math.max(1, Math.ceil(error.retryAfterMs / 1000))) };
    return new GatewayError({
      status: 429,
      type: "rate_limit_error",
      code: "rate_limit_exceeded",
      message: error.message,
      headers,
    });
  }
  if (
    error.kind === "http" &&
    error.status >= 400 &&
    error.status < 500 &&
    !error.retryable &&
    error.status !== 401 &&
    error.status !== 403 &&
    error.status !== 404
  ) {
    return new GatewayError({
      status: error.status,
      type: "invalid_request_error",
      code: "upstream_rejected",
      message: error.message,
    });
  }
  return new GatewayError({ status: 502, type: "api_error", code: "upstream_error", message: error.message });
}
