import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RouterType, routerTypes } from "../../shared/learned/artifact/format";
import { importPrivateKey, signArtifact } from "../../shared/learned/artifact/signature";
import { assignArm } from "../../shared/learned/serve/assignment";
import type { Arm } from "../../shared/learned/settings";
import { TINY, tinySet } from "../../shared/learned/test-fixtures";
import { trainArtifact } from "../../shared/learned/train/train";

/** The tiny problem's candidates as mock deployments of `group` (ids `<candidate>-<suffix>`). */
export const learnedDeployments = (group: string, suffix = "1") =>
  ["cheap", "coder", "big"].map((m) => ({
    model_name: group,
    litellm_params: { model: `mock/${m}`, mock_response: `answered by ${m}` },
    model_info: { id: `${m}-${suffix}` },
  }));

/** A routing model trained on the tiny problem, as artifact bytes. */
export function tinyArtifact(routers: readonly RouterType[] = routerTypes, seed = 1): Uint8Array {
  const json = trainArtifact(tinySet(30, seed + 2), { ...TINY, routers, seed });
  return new TextEncoder().encode(JSON.stringify(json));
}

export function writeTemp(name: string, bytes: Uint8Array | string): string {
  const path = join(mkdtempSync(join(tmpdir(), "routeiq-learned-")), name);
  writeFileSync(path, bytes);
  return path;
}

/** A fresh Ed25519 pair: a signer, and the public key as LLMROUTER_MODEL_PUBLIC_KEY takes it. */
export async function signingKey(): Promise<{
  sign: (bytes: Uint8Array) => Promise<Uint8Array>;
  publicKey: string;
  pem: string;
}> {
  const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, [
    "sign",
    "verify",
  ])) as CryptoKeyPair;
  const der = new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey));
  const raw = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
  const pem = `-----BEGIN PRIVATE KEY-----\n${Buffer.from(der).toString("base64")}\n-----END PRIVATE KEY-----\n`;
  const key = await importPrivateKey(pem);
  return { sign: (bytes) => signArtifact(bytes, key), publicKey: Buffer.from(raw).toString("hex"), pem };
}

/** An x-request-id (starting with `salt`) that `assign_by: request` puts on the arm named `name`. */
export function requestIdFor(arms: readonly Arm[], group: string, name: string, salt: string): string {
  for (let i = 0; i < 10_000; i++) {
    const id = `${salt}-${name}-${i}`;
    if (assignArm(arms, `request:${id}`, group).name === name) return id;
  }
  throw new Error(`no request id lands on arm ${name}`);
}
