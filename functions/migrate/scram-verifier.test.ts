import { createHash, createHmac, randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { scramVerifier } from "./scram-verifier";

/** node-postgres' own SCRAM client: what the gateway (and RDS Proxy's peers) log in with. */
const sasl = createRequire(import.meta.url)("pg/lib/crypto/sasl") as {
  startSession(mechanisms: string[]): { clientNonce: string; response: string };
  continueSession(session: object, password: string, serverFirst: string): Promise<void>;
  finalizeSession(session: object, serverFinal: string): void;
};

const hmac = (key: Buffer, text: string) => createHmac("sha256", key).update(text).digest();

/**
 * One SCRAM-SHA-256 exchange, node-postgres as the client and this function as the server, which
 * knows only the stored verifier, as PostgreSQL does: false when the server refuses the client's
 * proof, true when it accepts it and the client accepts the server's signature.
 */
async function logIn(verifier: string, password: string): Promise<boolean> {
  const [, iterations, salt, storedKey, serverKey] =
    /^SCRAM-SHA-256\$(\d+):([^$]+)\$([^:]+):(.+)$/.exec(verifier) ?? [];
  const session = sasl.startSession(["SCRAM-SHA-256"]);
  const nonce = session.clientNonce + randomBytes(18).toString("base64");
  const serverFirst = `r=${nonce},s=${salt},i=${iterations}`;
  await sasl.continueSession(session, password, serverFirst);
  const [withoutProof, proof] = session.response.split(",p=") as [string, string];
  const authMessage = `n=*,r=${session.clientNonce},${serverFirst},${withoutProof}`;
  const signature = hmac(Buffer.from(storedKey as string, "base64"), authMessage);
  const clientKey = Buffer.from(proof, "base64").map((byte, i) => byte ^ (signature[i] as number));
  if (createHash("sha256").update(clientKey).digest("base64") !== storedKey) return false;
  // The client checks the server in turn; a mismatch throws.
  const serverSignature = hmac(Buffer.from(serverKey as string, "base64"), authMessage).toString("base64");
  sasl.finalizeSession(session, `v=${serverSignature}`);
  return true;
}

describe("scramVerifier", () => {
  it("stores what lets the right password, and only it, log in", async () => {
    const verifier = scramVerifier("Xy7-generated_password.0");
    expect(verifier).toMatch(/^SCRAM-SHA-256\$4096:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/);
    expect(verifier).not.toContain("Xy7-generated_password.0");
    expect(await logIn(verifier, "Xy7-generated_password.0")).toBe(true);
    expect(await logIn(verifier, "Xy7-generated_password.1")).toBe(false);
  });

  it("salts each verifier afresh", () => {
    expect(scramVerifier("same")).not.toBe(scramVerifier("same"));
  });

  it("refuses passwords SASLprep would change, without echoing them", () => {
    for (const password of ["has space", "ünïcode", "tab\there", ""]) {
      expect(() => scramVerifier(password)).toThrow("a role password must be printable ASCII without spaces");
    }
  });
});
