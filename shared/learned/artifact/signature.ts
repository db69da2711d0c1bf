/**
 * Ed25519 over an artifact's exact bytes, with WebCrypto (Node, Lambda and Workers alike). A signed
 * artifact is an envelope: `{"format":"routeiq.router.signed","version":1,"algorithm":"ed25519",
 * "signature":"<base64>","payload":"<base64 of the artifact's bytes>"}`; signing bytes rather than
 * parsed JSON needs no canonical form.
 */
export const SIGNED_FORMAT = "routeiq.router.signed";

const ED25519 = { name: "Ed25519" } as const;

export class SignatureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SignatureError";
  }
}

const base64Bytes = (text: string): Uint8Array<ArrayBuffer> => {
  const binary = atob(text.replace(/\s+/g, ""));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
};

const bytesBase64 = (bytes: Uint8Array): string => {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000)
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
};

function pemBody(text: string, label: string): Uint8Array<ArrayBuffer> | undefined {
  const match = new RegExp(`-----BEGIN ${label}-----([^-]+)-----END ${label}-----`).exec(text);
  return match === null ? undefined : base64Bytes(match[1] as string);
}

/**
 * A verification key from `LLMROUTER_MODEL_PUBLIC_KEY`: a PEM public key (`openssl pkey -pubout`),
 * or the raw 32-byte key in base64 or hex.
 */
export async function importPublicKey(text: string): Promise<CryptoKey> {
  const trimmed = text.trim();
  try {
    const spki = pemBody(trimmed, "PUBLIC KEY");
    if (spki !== undefined) return await crypto.subtle.importKey("spki", spki, ED25519, false, ["verify"]);
    const raw = /^[0-9a-f]{64}$/i.test(trimmed)
      ? Uint8Array.from(trimmed.match(/../g) as string[], (h) => Number.parseInt(h, 16))
      : base64Bytes(trimmed);
    if (raw.length !== 32) throw new SignatureError(`expected 32 bytes, got ${raw.length}`);
    return await crypto.subtle.importKey("raw", raw, ED25519, false, ["verify"]);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new SignatureError(
      `not an Ed25519 public key (expected PEM, or 32 bytes in base64 or hex): ${detail}`,
    );
  }
}

/** A signing key from a PKCS#8 PEM (`openssl genpkey -algorithm ed25519`). */
export async function importPrivateKey(pem: string): Promise<CryptoKey> {
  const pkcs8 = pemBody(pem.trim(), "PRIVATE KEY");
  if (pkcs8 === undefined)
    throw new SignatureError("expected a PEM private key (-----BEGIN PRIVATE KEY-----)");
  return crypto.subtle.importKey("pkcs8", pkcs8, ED25519, false, ["sign"]);
}

export async function signArtifact(payload: Uint8Array, key: CryptoKey): Promise<Uint8Array> {
  const signature = new Uint8Array(
    await crypto.subtle.sign(ED25519, key, payload as Uint8Array<ArrayBuffer>),
  );
  const envelope = {
    format: SIGNED_FORMAT,
    version: 1,
    algorithm: "ed25519",
    signature: bytesBase64(signature),
    payload: bytesBase64(payload),
  };
  return new TextEncoder().encode(JSON.stringify(envelope));
}

export interface Envelope {
  readonly payload: Uint8Array;
  /** Absent for an artifact that was not signed. */
  readonly signature: Uint8Array | undefined;
}

/** Splits a signed envelope into payload and signature; any other document is its own payload. */
export function openEnvelope(bytes: Uint8Array, parsed: unknown): Envelope {
  if (
    typeof parsed !== "object" ||
    parsed === null ||
    (parsed as { format?: unknown }).format !== SIGNED_FORMAT
  ) {
    return { payload: bytes, signature: undefined };
  }
  const { version, algorithm, signature, payload } = parsed as Record<string, unknown>;
  if (
    version !== 1 ||
    algorithm !== "ed25519" ||
    typeof signature !== "string" ||
    typeof payload !== "string"
  ) {
    throw new SignatureError('a signed artifact needs version 1, algorithm "ed25519", signature and payload');
  }
  try {
    return { payload: base64Bytes(payload), signature: base64Bytes(signature) };
  } catch {
    throw new SignatureError("signature or payload is not valid base64");
  }
}

export async function verifySignature(envelope: Envelope, key: CryptoKey): Promise<void> {
  if (envelope.signature === undefined) {
    throw new SignatureError(
      "the artifact is not signed, and LLMROUTER_MODEL_PUBLIC_KEY requires a signature",
    );
  }
  const valid = await crypto.subtle.verify(
    ED25519,
    key,
    envelope.signature as Uint8Array<ArrayBuffer>,
    envelope.payload as Uint8Array<ArrayBuffer>,
  );
  if (!valid)
    throw new SignatureError("the signature does not match the artifact and the configured public key");
}
