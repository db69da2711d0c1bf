const encoder = new TextEncoder();
const decoder = new TextDecoder();

const VERSION = "v1";
const SALT = encoder.encode("routeiq sealed-box salt");

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  // Chunked: spreading a large array into one call overflows the argument limit.
  for (let i = 0; i < bytes.length; i += 0x8000)
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * Seals text with AES-256-GCM under a key derived (HKDF-SHA-256) from a secret the replicas share
 * and a store they share does not hold, e.g. the master key. Whoever can read and write the store
 * can neither read a box nor forge or alter one; `context` (e.g. the key hash a record belongs to)
 * is authenticated too, so a box cannot be moved to another name. WebCrypto: every runtime has it.
 */
export class SealedBox {
  readonly #key: Promise<CryptoKey>;

  constructor(secret: string, purpose: string) {
    this.#key = crypto.subtle
      .importKey("raw", encoder.encode(secret), "HKDF", false, ["deriveKey"])
      .then((material) =>
        crypto.subtle.deriveKey(
          { name: "HKDF", hash: "SHA-256", salt: SALT, info: encoder.encode(purpose) },
          material,
          { name: "AES-GCM", length: 256 },
          false,
          ["encrypt", "decrypt"],
        ),
      );
  }

  async seal(plaintext: string, context: string): Promise<string> {
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const sealed = await crypto.subtle.encrypt(
      { name: "AES-GCM", iv, additionalData: encoder.encode(context) },
      await this.#key,
      encoder.encode(plaintext),
    );
    return `${VERSION}.${toBase64(iv)}.${toBase64(new Uint8Array(sealed))}`;
  }

  /** The text sealed under this secret and `context`; undefined for anything else, never a throw. */
  async open(box: string, context: string): Promise<string | undefined> {
    const [version, iv, sealed, ...rest] = box.split(".");
    if (version !== VERSION || iv === undefined || sealed === undefined || rest.length > 0) return undefined;
    try {
      const plaintext = await crypto.subtle.decrypt(
        { name: "AES-GCM", iv: fromBase64(iv), additionalData: encoder.encode(context) },
        await this.#key,
        fromBase64(sealed),
      );
      return decoder.decode(plaintext);
    } catch {
      return undefined;
    }
  }
}
