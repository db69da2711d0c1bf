/**
 * The console's session: a cookie holding a random session id and its expiry, signed with
 * HMAC-SHA256 under a key derived from the master key (HKDF), never the master key itself. Every
 * replica can check it without a lookup of its own, changing the master key ends every session at
 * once, and signing out revokes the id (session-revocation.ts).
 */

const PREFIX = "v2";
const encoder = new TextEncoder();
/** Names what the derived key is for: a key derived for anything else never signs a session. */
const HKDF_SALT = encoder.encode("routeiq-console-session");
const HKDF_INFO = encoder.encode("session-hmac-v2");

const base64url = (bytes: ArrayBuffer | Uint8Array): string =>
  btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");

const SESSION_ID = /^[A-Za-z0-9_-]{22}$/;

/** The HMAC key for sessions: HKDF-SHA256 of the master key, derived once per master key. */
const keys = new Map<string, Promise<CryptoKey>>();
function sessionKey(masterKey: string): Promise<CryptoKey> {
  let key = keys.get(masterKey);
  if (key === undefined) {
    key = (async () => {
      const material = await crypto.subtle.importKey("raw", encoder.encode(masterKey), "HKDF", false, [
        "deriveKey",
      ]);
      return crypto.subtle.deriveKey(
        { name: "HKDF", hash: "SHA-256", salt: HKDF_SALT, info: HKDF_INFO },
        material,
        { name: "HMAC", hash: "SHA-256", length: 256 },
        false,
        ["sign"],
      );
    })();
    // One master key at a time in practice; a rotation replaces the entry instead of growing the map.
    keys.clear();
    keys.set(masterKey, key);
  }
  return key;
}

async function signature(masterKey: string, id: string, expiresAt: number): Promise<string> {
  const key = await sessionKey(masterKey);
  return base64url(await crypto.subtle.sign("HMAC", key, encoder.encode(`${id}.${expiresAt}`)));
}

/** A new session id: 128 random bits. */
export const newSessionId = (): string => base64url(crypto.getRandomValues(new Uint8Array(16)));

/** A session token for session `id`, valid until `expiresAt` (epoch ms). */
export async function mintSession(
  masterKey: string,
  expiresAt: number,
  id: string = newSessionId(),
): Promise<string> {
  return `${PREFIX}.${id}.${expiresAt}.${await signature(masterKey, id, expiresAt)}`;
}

export type SessionCheck =
  | { readonly ok: true; readonly id: string; readonly expiresAt: number }
  | { readonly ok: false; readonly reason: "invalid" | "expired" };

/** Whether `token` was minted under `masterKey` and is still running at `now` (revocation aside). */
export async function checkSession(masterKey: string, token: string, now: number): Promise<SessionCheck> {
  const [prefix, id, expiry, given, extra] = token.split(".");
  const expiresAt = Number(expiry);
  if (
    prefix !== PREFIX ||
    id === undefined ||
    !SESSION_ID.test(id) ||
    given === undefined ||
    extra !== undefined ||
    !Number.isSafeInteger(expiresAt)
  ) {
    return { ok: false, reason: "invalid" };
  }
  const expected = await signature(masterKey, id, expiresAt);
  let diff = given.length ^ expected.length;
  for (let i = 0; i < expected.length; i++) diff |= (given.charCodeAt(i) || 0) ^ expected.charCodeAt(i);
  if (diff !== 0) return { ok: false, reason: "invalid" };
  return expiresAt > now ? { ok: true, id, expiresAt } : { ok: false, reason: "expired" };
}
