import { describe, expect, it } from "vitest";
import { SealedBox } from "./sealed-box";

describe("SealedBox", () => {
  const box = new SealedBox("sk-master", "test purpose");

  it("opens what it sealed, and the sealed text does not show the plaintext", async () => {
    const sealed = await box.seal('{"keyAlias":"billing"}', "hash-1");
    expect(sealed).not.toContain("billing");
    expect(await box.open(sealed, "hash-1")).toBe('{"keyAlias":"billing"}');
  });

  it("opens nothing sealed under another secret, purpose or context, nor anything altered", async () => {
    const sealed = await box.seal("payload", "hash-1");
    expect(await new SealedBox("sk-other", "test purpose").open(sealed, "hash-1")).toBeUndefined();
    expect(await new SealedBox("sk-master", "other purpose").open(sealed, "hash-1")).toBeUndefined();
    expect(await box.open(sealed, "hash-2")).toBeUndefined();
    const [version, iv, body] = sealed.split(".") as [string, string, string];
    const flipped = `${body.slice(0, 4)}${body[4] === "A" ? "B" : "A"}${body.slice(5)}`;
    expect(await box.open(`${version}.${iv}.${flipped}`, "hash-1")).toBeUndefined();
    expect(await box.open("v1.not base64!.x", "hash-1")).toBeUndefined();
    expect(await box.open("plain text", "hash-1")).toBeUndefined();
  });
});
