import { GatewayError, UpstreamError } from "../../errors";
import type { ProviderContext } from "../types";
import { parseRetryAfter } from "../upstream-fetch";

/**
 * Bedrock's exceptions by name (lower-cased: HTTP errors name them `ThrottlingException`, stream
 * events `throttlingException`), as the statuses the router understands. Quotas and throttling
 * are 429s whatever status Bedrock used, so the router backs off and tries elsewhere.
 */
const STATUS_BY_NAME = new Map([
  ["throttlingexception", 429],
  ["servicequotaexceededexception", 429],
  ["modelnotreadyexception", 429],
  ["toomanyrequestsexception", 429],
  ["modeltimeoutexception", 408],
  ["serviceunavailableexception", 503],
  ["internalserverexception", 500],
  ["modelstreamerrorexception", 502],
  ["modelerrorexception", 502],
  ["validationexception", 400],
  ["accessdeniedexception", 403],
  ["unrecognizedclientexception", 401],
  ["expiredtokenexception", 401],
  ["invalidsignatureexception", 401],
  ["resourcenotfoundexception", 404],
]);

const CONTEXT_WINDOW_HINTS = [
  "input is too long",
  "too many input tokens",
  "prompt is too long",
  "context window",
];

/** Failures to obtain credentials (no role, an unreachable metadata endpoint, STS refusing). */
const CREDENTIAL_ERRORS = new Set(["CredentialsProviderError", "TokenProviderError", "ProviderError"]);

interface SdkError {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  $metadata?: { httpStatusCode?: number };
  $response?: { headers?: Record<string, string | undefined> };
}

/**
 * Every way a Bedrock call fails, as an UpstreamError: an HTTP error, an exception event in a
 * stream, a dropped connection, credentials that cannot be had. What Bedrock said goes into the
 * message; nothing of the request or its credentials does. An abort the gateway caused (timeout,
 * client gone) keeps its reason.
 */
export function toUpstreamError(error: unknown, ctx: ProviderContext): UpstreamError | GatewayError {
  if (error instanceof UpstreamError || error instanceof GatewayError) return error;
  if (ctx.signal.aborted) {
    const reason: unknown = ctx.signal.reason;
    if (reason instanceof UpstreamError) return reason;
    return new UpstreamError("network", 499, "bedrock: request aborted");
  }
  const e = (typeof error === "object" && error !== null ? error : {}) as SdkError;
  const name = typeof e.name === "string" ? e.name : "Error";
  const message = typeof e.message === "string" ? e.message.slice(0, 500) : "";
  if (CREDENTIAL_ERRORS.has(name))
    return new UpstreamError("http", 401, `bedrock: could not obtain AWS credentials (${name})`);
  const status = STATUS_BY_NAME.get(name.toLowerCase()) ?? e.$metadata?.httpStatusCode;
  if (status === undefined) {
    const code = typeof e.code === "string" ? e.code : name;
    return new UpstreamError("network", 502, `bedrock: could not reach upstream (${code})`);
  }
  const text = `bedrock returned ${status} ${name}: ${message}`;
  const lower = message.toLowerCase();
  if (status === 400 && CONTEXT_WINDOW_HINTS.some((hint) => lower.includes(hint)))
    return new UpstreamError("context_window", 400, text);
  const headers = new Headers();
  for (const [key, value] of Object.entries(e.$response?.headers ?? {}))
    if (typeof value === "string") headers.set(key, value);
  return new UpstreamError("http", status, text, parseRetryAfter(headers));
}

/** Runs one SDK call, turning whatever it throws into the router's terms. */
export async function sdkCall<T>(ctx: ProviderContext, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toUpstreamError(error, ctx);
  }
}
