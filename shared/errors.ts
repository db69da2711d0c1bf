/**
 * Every failure the gateway reports is a GatewayError: one place maps it to the OpenAI error
 * shape `{"error":{"message","type","param","code"}}` (see http/error-handler.ts).
 */
export type ErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "permission_error"
  | "not_found_error"
  | "rate_limit_error"
  | "api_error"
  | "timeout_error"
  | "service_unavailable_error";

export interface GatewayErrorInit {
  status: number;
  type: ErrorType;
  code: string;
  message: string;
  param?: string | null;
  headers?: Record<string, string>;
}

export class GatewayError extends Error {
  readonly status: number;
  readonly type: ErrorType;
  readonly code: string;
  readonly param: string | null;
  readonly headers: Record<string, string>;

  constructor(init: GatewayErrorInit) {
    super(init.message);
    this.name = "GatewayError";
    this.status = init.status;
    this.type = init.type;
    this.code = init.code;
    this.param = init.param ?? null;
    this.headers = init.headers ?? {};
  }
}

export const badRequest = (
  message: string,
  param: string | null = null,
  code = "invalid_request",
): GatewayError => new GatewayError({ status: 400, type: "invalid_request_error", code, message, param });

export const unauthorized = (message: string): GatewayError =>
  new GatewayError({ status: 401, type: "authentication_error", code: "invalid_api_key", message });

export const forbidden = (code: string, message: string, param: string | null = null): GatewayError =>
  new GatewayError({ status: 403, type: "permission_error", code, message, param });

export const serviceUnavailable = (message: string, retryAfterSeconds?: number): GatewayError =>
  new GatewayError({
    status: 503,
    type: "service_unavailable_error",
    code: "service_unavailable",
    message,
    headers: retryAfterSeconds === undefined ? {} : { "retry-after": String(retryAfterSeconds) },
  });

/**
 * A failed call to an upstream provider. `retryable` drives the router: connection errors,
 * timeouts, 408, 409, 429 and 5xx are worth another attempt; other statuses are not.
 */
export type UpstreamFailureKind = "http" | "timeout" | "network" | "context_window";

export class UpstreamError extends Error {
  readonly status: number;
  readonly kind: UpstreamFailureKind;
  readonly retryAfterMs: number | undefined;

  constructor(kind: UpstreamFailureKind, status: number, message: string, retryAfterMs?: number) {
    super(message);
    this.name = "UpstreamError";
    this.kind = kind;
    this.status = status;
    this.retryAfterMs = retryAfterMs;
  }

  get retryable(): boolean {
    if (this.kind === "timeout" || this.kind === "network") return true;
    if (this.kind === "context_window") return false;
    return this.status === 408 || this.status === 409 || this.status === 429 || this.status >= 500;
  }
}
