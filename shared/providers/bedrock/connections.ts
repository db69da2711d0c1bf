import type { LookupFunction } from "node:net";

let guarded: LookupFunction | undefined;

/**
 * The Node gateway's DNS lookup with the outbound policy applied (functions/gateway/outbound-connect.ts),
 * for the connections the AWS SDK makes itself: a Bedrock endpoint from a config is then checked
 * at connect time too, as every `fetch` upstream is, so a host name resolving to a metadata
 * address is refused. Clients made before the call keep what they had; unset, the SDK resolves
 * names itself (Lambda, which has no metadata address to reach).
 */
export function guardBedrockConnections(lookup: LookupFunction | undefined): void {
  guarded = lookup;
}

export const bedrockLookup = (): LookupFunction | undefined => guarded;
