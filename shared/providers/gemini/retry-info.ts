/**
 * How long Google asks a client to wait, in milliseconds: its 429s carry no retry-after header but
 * a `google.rpc.RetryInfo` detail in the error body (`"retryDelay": "37s"`).
 */
export function googleRetryDelay(body: string): number | undefined {
  let details: unknown;
  try {
    details = (JSON.parse(body) as { error?: { details?: unknown } }).error?.details;
  } catch {
    return undefined;
  }
  if (!Array.isArray(details)) return undefined;
  for (const detail of details as { "@type"?: unknown; retryDelay?: unknown }[]) {
    if (typeof detail?.["@type"] !== "string" || !detail["@type"].endsWith("google.rpc.RetryInfo")) continue;
    const match = typeof detail.retryDelay === "string" ? /^(\d+(?:\.\d+)?)s$/.exec(detail.retryDelay) : null;
    if (match !== null) return Math.round(Number(match[1]) * 1000);
  }
  return undefined;
}
