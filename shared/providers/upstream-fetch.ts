import { UpstreamError } from "../errors";
import type { ProviderContext } from "./types";

const CONTEXT_WINDOW_HINTS = [
  "context length",
  "context_length_exceeded",
  "maximum context",
  "prompt is too long",
  "too many tokens",
  // Gemini's "input token count (…) exceeds the maximum number of tokens allowed", Bedrock's "Input is too long".
  "input token count",
  "input is too long",
];

/** `retry-after` as seconds or an HTTP date, and `retry-after-ms` (OpenAI), in milliseconds. */
export function parseRetryAfter(headers: Headers, now = Date.now()): number | undefined {
  const ms = headers.get("retry-after-ms");
  if (ms !== null && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const value = headers.get("retry-after");
  if (value === null) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The upstream's own error message, if its body has one; never the request or its headers. */
function upstreamMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown } | string; message?: unknown };
    if (typeof parsed.error === "string") return parsed.error;
    if (typeof parsed.error?.message === "string") return parsed.error.message;
    if (typeof parsed.message === "string") return parsed.message;
  } catch {
    // Not JSON: fall through to the raw (bounded) text.
  }
  return body.slice(0, 500);
}

/**
 * POSTs JSON upstream and returns the response when it is 2xx. Everything else becomes an
 * `UpstreamError` the router understands: timeouts, connection failures, HTTP errors (with
 * `retry-after`), and context-window overflows (a 400 that a bigger model could serve).
 * Redirects are never followed: a 307 would re-send the prompt and the provider key to another
 * origin, a 303 would fetch any URL and serve its body as a completion.
 */
export async function postUpstream(
  url: string,
  headers: Record<string, string>,
  body: string,
  ctx: ProviderContext,
  providerName: string,
  /** Where an upstream says how long to wait in its error body (Google's RetryInfo), not in a header. */
  retryAfterFromBody: (body: string) => number | undefined = () => undefined,
): Promise<Response> {
  let response: Response;
  try {
    response = await ctx.fetch(url, {
      method: "POST",
      headers,
      body,
      signal: ctx.signal,
      redirect: "manual",
    });
  } catch (error) {
    if (ctx.signal.aborted) {
      const reason: unknown = ctx.signal.reason;
      if (reason instanceof UpstreamError) throw reason;
      throw new UpstreamError("network", 499, `${providerName}: request aborted`);
    }
    const cause =
      error instanceof Error ? ((error.cause as { code?: string } | undefined)?.code ?? error.message) : "";
    throw new UpstreamError("network", 502, `${providerName}: could not reach upstream (${cause})`);
  }
  if (response.ok) return response;
  // Some runtimes answer a manual redirect with an opaque response of status 0.
  if (response.type === "opaqueredirect" || (response.status >= 300 && response.status < 400)) {
    await response.body?.cancel().catch(() => {});
    throw new UpstreamError(
      "http",
      response.status,
      `${providerName} answered with a redirect (${response.status}); upstream redirects are not followed`,
    );
  }
  const text = await response.text().catch(() => "");
  const message = `${providerName} returned ${response.status}: ${upstreamMessage(text)}`;
  const lower = text.toLowerCase();
  if (response.status === 400 && CONTEXT_WINDOW_HINTS.some((hint) => lower.includes(hint))) {
    throw new UpstreamError("context_window", 400, message);
  }
  throw new UpstreamError(
    "http",
    response.status,
    message,
    parseRetryAfter(response.headers) ?? retryAfterFromBody(text),
  );
}
