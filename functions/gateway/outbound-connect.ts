import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { isIP, type LookupFunction } from "node:net";
import { buildConnector } from "undici";
import type { OutboundPolicy } from "../../shared/http/outbound-url-policy";

/** A connection the outbound policy refused: reported as a network failure, never attempted. */
export class OutboundRefusedError extends Error {
  readonly code = "ERR_OUTBOUND_REFUSED";
  constructor(message: string) {
    super(message);
    this.name = "OutboundRefusedError";
  }
}

/**
 * `lookup` that fails when any address a host name resolves to is refused: a config's api_base
 * passed the policy as a name, and DNS (or a rebinding attacker) may still answer with
 * 169.254.169.254. Refusing the whole answer, not just the bad address, keeps it simple to reason
 * about: a name that points at metadata is not an upstream.
 */
export function guardedLookup(policy: OutboundPolicy, lookup: LookupFunction = dnsLookup): LookupFunction {
  return function guarded(hostname, options, callback) {
    lookup(hostname, options, (error, address, family) => {
      if (error !== null) return callback(error, address, family);
      const addresses =
        typeof address === "string" ? [address] : address.map((a: LookupAddress) => a.address);
      for (const each of addresses) {
        const refused = policy.refuseConnection(hostname, each);
        if (refused !== undefined) return callback(new OutboundRefusedError(refused), "", 0);
      }
      callback(null, address, family);
    });
  };
}

/**
 * undici's connector with the policy applied at connect time: host names through `guardedLookup`,
 * and addresses written as literals (which Node connects to without a lookup) checked directly.
 */
export function guardedConnector(policy: OutboundPolicy, lookup?: LookupFunction): buildConnector.connector {
  const connect = buildConnector({ lookup: guardedLookup(policy, lookup) });
  return function guardedConnect(options, callback) {
    const refused = isIP(options.hostname)
      ? policy.refuseConnection(options.hostname, options.hostname)
      : undefined;
    if (refused !== undefined) callback(new OutboundRefusedError(refused), null);
    else connect(options, callback);
  };
}
