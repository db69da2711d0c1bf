import type { Principal } from "../../auth/principal";

/** Whose request a decision was, for feedback: a virtual key by its hash; the master key; or anyone on an open gateway. */
export function ownerOf(principal: Principal): string {
  return principal.kind === "virtual_key" ? `key:${principal.keyHash}` : principal.kind;
}
