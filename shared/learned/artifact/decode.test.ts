import { describe, expect, it } from "vitest";
import { TINY, tinySet } from "../test-fixtures";
import { trainArtifact } from "../train/train";
import { decodeF32, encodeI8 } from "./arrays";
import { ArtifactError, decodeArtifact } from "./decode";
import { importPrivateKey, importPublicKey, signArtifact } from "./signature";

const json = trainArtifact(tinySet(10), { ...TINY, routers: ["knn", "mlp"] });
const bytes = new TextEncoder().encode(JSON.stringify(json));

async function keyPair() {
  const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, [
    "sign",
    "verify",
  ])) as CryptoKeyPair;
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey));
  const raw = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
  const pem = `-----BEGIN PRIVATE KEY-----\n${btoa(String.fromCharCode(...pkcs8))}\n-----END PRIVATE KEY-----\n`;
  return {
    privateKey: await importPrivateKey(pem),
    publicKey: await importPublicKey(btoa(String.fromCharCode(...raw))),
  };
}

const refused = (promise: Promise<unknown>, message: RegExp) =>
  expect(promise).rejects.toSatisfy((e: unknown) => e instanceof ArtifactError && message.test(e.message));

describe("decodeArtifact", () => {
  it("builds every router of a trained artifact", async () => {
    const artifact = await decodeArtifact(bytes);
    expect(artifact.routers.map((r) => r.type)).toEqual(["knn", "mlp"]);
    expect(artifact.candidates.map((c) => c.name)).toEqual(["cheap", "coder", "big"]);
  });

  it("accepts an artifact signed by the configured key, and refuses it under another key", async () => {
    const signer = await keyPair();
    const other = await keyPair();
    const signed = await signArtifact(bytes, signer.privateKey);
    expect((await decodeArtifact(signed, { publicKey: signer.publicKey })).routers).toHaveLength(2);
    await refused(decodeArtifact(signed, { publicKey: other.publicKey }), /signature does not match/);
  });

  it("refuses a signed artifact whose payload was changed after signing", async () => {
    const { privateKey, publicKey } = await keyPair();
    const envelope = JSON.parse(new TextDecoder().decode(await signArtifact(bytes, privateKey)));
    const tampered = { ...json, candidates: [...json.candidates].reverse() };
    envelope.payload = btoa(JSON.stringify(tampered));
    await refused(
      decodeArtifact(new TextEncoder().encode(JSON.stringify(envelope)), { publicKey }),
      /signature does not match/,
    );
  });

  it("refuses an unsigned artifact when a public key is configured", async () => {
    const { publicKey } = await keyPair();
    await refused(decodeArtifact(bytes, { publicKey }), /not signed/);
  });

  it("refuses what is not an artifact, naming the field, without building anything", async () => {
    const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
    await refused(decodeArtifact(new TextEncoder().encode("not json")), /not JSON/);
    await refused(decodeArtifact(encode({ ...json, version: 2 })), /version/);
    await refused(
      decodeArtifact(encode({ ...json, routers: [{ type: "pickle", input: "local" }] })),
      /routers/,
    );
    const wrongShape = { ...json, clusters: { ...json.clusters, count: json.clusters.count + 1 } };
    await refused(decodeArtifact(encode(wrongShape)), /clusters.centroids: expected shape/);
    const duplicate = { ...json, candidates: [json.candidates[0], json.candidates[0], json.candidates[2]] };
    await refused(decodeArtifact(encode(duplicate)), /unique/);
  });
});

describe("arrays", () => {
  it("keeps signed-byte rows within half a step of their scale", () => {
    const values = [0.5, -1, 0.25, 3, -0.001, 0];
    const decoded = decodeF32(encodeI8(values, [2, 3]), [2, 3], "x");
    const errors = values.map((v, i) => Math.abs((decoded[i] as number) - v) - (i < 3 ? 1 : 3) / 254);
    expect(Math.max(...errors)).toBeLessThanOrEqual(1e-7);
  });
});
