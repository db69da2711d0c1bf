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
