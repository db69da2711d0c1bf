import type { KeyContext } from "../keys/key-context";

/**
 * Who is calling: the master key (no limits), a virtual key (its key/team/user limits apply),
 * or anyone at all when no master key is configured (the gateway warned at start).
 */
export type Principal = { readonly kind: "master" } | { readonly kind: "open" } | VirtualKeyPrincipal;

export interface VirtualKeyPrincipal {
  readonly kind: "virtual_key";
  readonly keyHash: string;
  readonly context: KeyContext;
}
