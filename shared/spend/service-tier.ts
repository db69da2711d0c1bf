/**
 * OpenAI bills `service_tier: "priority"` above its list prices (1.7 to 2 times them in its
 * published rates), and the gateway's prices are list prices: a request that asks for priority is
 * reserved and charged at this multiple of its deployment's price, whichever provider serves it.
 */
export const PRIORITY_PRICE_MULTIPLE = 2;

/** The multiple of its deployment's price a request is charged at. */
export function priceMultipleOf(request: unknown): number {
  const tier = (request as { service_tier?: unknown } | null)?.service_tier;
  return tier === "priority" ? PRIORITY_PRICE_MULTIPLE : 1;
}
