import type { Principal } from "../auth/principal";
import type { CacheIdentity } from "./key";

/**
 * The cache partition of an authenticated caller: each virtual key (by its hash) and its team;
 * the master key is one caller, and so is everyone on an open gateway.
 */
export function cacheIdentityOf(principal: Principal | undefined): CacheIdentity {
  switch (principal?.kind) {
    case "virtual_key":
      return { key: `vk:${principal.keyHash}`, team: principal.context.team?.teamId };
    case "master":
      return { key: "master", team: undefined };
    default:
      return { key: "open", team: undefined };
  }
}
