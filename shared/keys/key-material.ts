/**
 * Virtual key material. A key is shown to its owner once, at creation; the database keeps only
 * its SHA-256 hash (LiteLLM's scheme, so hashes migrated from LiteLLM still match), and listings
 * show a recognisable but useless tail. Web Crypto only, so this runs on every runtime.
 */
export const KEY_PREFIX = "sk-";

const encoder = new TextEncoder();

function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** `sk-` and 32 random bytes (256 bits), base64url without padding. */
export function generateKey(): string {
  return KEY_PREFIX + base64url(crypto.getRandomValues(new Uint8Array(32)));
}

/** The key's SHA-256 as 64 lowercase hex characters: the id a key is stored and managed under. */
export async function hashKey(key: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(key)));
  let hex = "";
  for (const byte of digest) hex += byte.toString(16).padStart(2, "0");
  return hex;
}

/** What listings show instead of the key: `sk-...` and its last four characters. */
export const keyName = (key: string): string => `${KEY_PREFIX}...${key.slice(-4)}`;

/** Whether `value` has the shape of a stored key hash (as opposed to a key). */
export const isKeyHash = (value: string): boolean => /^[0-9a-f]{64}$/.test(value);
