/**
 * The console's session: a cookie holding its own expiry, signed with HMAC-SHA256 keyed by the
 * master key. Nothing is stored, so every replica accepts it, and changing the master key ends
 * every session at once.
 */

const PREFIX = "v1";
const encoder = new TextEncoder();

const base64url = (bytes: ArrayBuffer): string =>
  btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");

async function signature(masterKey: string, expiresAt: number): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(masterKey),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return base64url(await crypto.subtle.sign("HMAC", key, encoder.encode(`routeiq-console:${expiresAt}`)));
}

/** A session token valid until `expiresAt` (epoch ms). */
export async function mintSession(masterKey: string, expiresAt: number): Promise<string> {
  return `${PREFIX}.${expiresAt}.${await signature(masterKey, expiresAt)}`;
}

export type SessionCheck =
  | { readonly ok: true; readonly expiresAt: number }
  | { readonly ok: false; readonly reason: "invalid" | "expired" };

/** Whether `token` was minted with `masterKey` and is still running at `now`. */
export async function checkSession(masterKey: string, token: string, now: number): Promise<SessionCheck> {
  const [prefix, expiry, given] = token.split(".");
  const expiresAt = Number(expiry);
  if (prefix !== PREFIX || given === undefined || !Number.isSafeInteger(expiresAt)) {
    return { ok: false, reason: "invalid" };
  }
  const expected = await signature(masterKey, expiresAt);
  let diff = given.length ^ expected.length;
  for (let i = 0; i < expected.length; i++) diff |= (given.charCodeAt(i) || 0) ^ expected.charCodeAt(i);
  if (diff !== 0) return { ok: false, reason: "invalid" };
  return expiresAt > now ? { ok: true, expiresAt } : { ok: false, reason: "expired" };
}
