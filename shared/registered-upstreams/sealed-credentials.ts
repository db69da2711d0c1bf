import { GatewayError } from "../errors";
import { SealedBox } from "../keys/sealed-box";
import { hasCredentials, type UpstreamCredentials } from "./auth";

export interface CredentialSeal {
  /** The sealed box to store for the registration `name`; null when there is nothing secret. */
  seal(credentials: UpstreamCredentials, name: string): Promise<string | null>;
  /** The credentials sealed for `name`; none when the box cannot be opened (the secret changed). */
  open(box: string | null, name: string): Promise<UpstreamCredentials>;
}

/**
 * Upstream credentials sealed (AES-GCM) under a key derived from `secret` (LITELLM_SALT_KEY, else
 * the master key), bound to the registration's name: the database alone reads none of them.
 */
export function credentialSeal(secret: () => string | undefined, purpose: string): CredentialSeal {
  let cached: { readonly secret: string; readonly box: SealedBox } | undefined;
  const box = (): SealedBox | undefined => {
    const current = secret();
    if (current === undefined) return undefined;
    if (cached?.secret !== current) cached = { secret: current, box: new SealedBox(current, purpose) };
    return cached.box;
  };
  return {
    async seal(credentials, name) {
      if (!hasCredentials(credentials)) return null;
      const sealer = box();
      if (sealer === undefined) {
        throw new GatewayError({
          status: 400,
          type: "invalid_request_error",
          code: "no_sealing_secret",
          message: "credentials are stored encrypted: set a master key or LITELLM_SALT_KEY first",
        });
      }
      return sealer.seal(JSON.stringify(credentials), name);
    },
    async open(sealed, name) {
      if (sealed === null) return {};
      const text = await box()?.open(sealed, name);
      return text === undefined ? {} : (JSON.parse(text) as UpstreamCredentials);
    },
  };
}
