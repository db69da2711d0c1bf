import type { z } from "zod";
import { UpstreamError } from "../errors";
import type { ProviderContext } from "./types";

/**
 * Reads an upstream's answer. A failure here (a timeout, a dropped connection) is the upstream's,
 * and must reach the router as an UpstreamError: anything else would be taken for the gateway's
 * own failure, which is never retried.
 */
export async function readUpstreamText(
  response: Response,
  ctx: ProviderContext,
  providerName: string,
): Promise<string> {
  try {
    return await response.text();
  } catch {
    const reason: unknown = ctx.signal.reason;
    if (ctx.signal.aborted && reason instanceof UpstreamError) throw reason;
    throw new UpstreamError("network", 502, `${providerName}: could not read the response body`);
  }
}

/** An upstream's JSON answer, checked against `schema`; anything else is the upstream's failure. */
export async function readUpstreamJson<T>(
  response: Response,
  ctx: ProviderContext,
  providerName: string,
  schema: z.ZodType<T>,
): Promise<T> {
  const text = await readUpstreamText(response, ctx, providerName);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new UpstreamError("http", 502, `${providerName}: response body is not JSON`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new UpstreamError("http", 502, `${providerName}: unexpected response shape`);
  return parsed.data;
}
