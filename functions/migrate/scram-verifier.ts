import { createHash, createHmac, pbkdf2Sync, randomBytes } from "node:crypto";

/** PostgreSQL's own default (scram_iterations). */
const ITERATIONS = 4096;

const PRINTABLE_ASCII = /^[\x21-\x7e]+$/;

/**
 * The SCRAM-SHA-256 verifier PostgreSQL stores for `password` (RFC 5802, RFC 7677), as `psql`'s
 * `\password` computes it: `ALTER ROLE ... PASSWORD '<verifier>'` then sets the password without
 * the password itself ever reaching the server, where a statement log could keep it. Printable
 * ASCII only, which SASLprep leaves as it is, so the server derives the same keys at login.
 */
export function scramVerifier(password: string, salt: Buffer = randomBytes(16)): string {
  if (!PRINTABLE_ASCII.test(password)) {
    throw new Error("a role password must be printable ASCII without spaces");
  }
  const salted = pbkdf2Sync(password, salt, ITERATIONS, 32, "sha256");
  const hmac = (key: Buffer, text: string) => createHmac("sha256", key).update(text).digest();
  const storedKey = createHash("sha256").update(hmac(salted, "Client Key")).digest();
  const serverKey = hmac(salted, "Server Key");
  return `SCRAM-SHA-256$${ITERATIONS}:${salt.toString("base64")}$${storedKey.toString("base64")}:${serverKey.toString("base64")}`;
}
