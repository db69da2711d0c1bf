import fc from "fast-check";
import { countTokens } from "gpt-tokenizer/encoding/o200k_base";
import { describe, expect, it } from "vitest";
import { promptBound, TOOLS_FRAMING_TOKENS, utf8Bytes } from "./prompt-bound";

const AS_TEXT = { disallowedSpecial: new Set<string>() };

describe("utf8Bytes", () => {
  it("counts as TextEncoder does, unpaired surrogates as U+FFFD", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (text) => {
        expect(utf8Bytes(text)).toBe(new TextEncoder().encode(text).length);
      }),
    );
    expect(utf8Bytes("\ud800")).toBe(3);
    expect(utf8Bytes("\udc00x")).toBe(4);
  });
});

describe("promptTokenBound", () => {
  const chat = (content: string) => ({ model: "m", messages: [{ role: "user", content }] });

  it("is never below what a tokenizer counts, whatever the text", () => {
    // Text a 4-characters-a-token estimate is 8 to 12 times short on: CJK, private-use, emoji.
    const dense = [
      Array.from({ length: 2_000 }, (_, i) => String.fromCharCode(0x4e00 + ((i * 7_919) % 20_000))).join(""),
      Array.from({ length: 2_000 }, (_, i) => String.fromCharCode(0xe000 + ((i * 7_919) % 6_000))).join(""),
      Array.from({ length: 1_000 }, (_, i) => String.fromCodePoint(0x1f300 + (i % 700))).join(""),
    ];
    for (const text of dense) {
      expect(promptBound(chat(text)).tokens).toBeGreaterThanOrEqual(countTokens(text, AS_TEXT));
      expect(countTokens(text, AS_TEXT)).toBeGreaterThan(4 * Math.ceil(text.length / 4));
    }
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 300 }), (text) => {
        expect(promptBound(chat(text)).tokens).toBeGreaterThanOrEqual(countTokens(text, AS_TEXT));
      }),
      { numRuns: 200 },
    );
  });

  it("counts images wherever the request carries them, and adds the framing of tools", () => {
    const plain = chat("look");
    const image = { type: "image_url", image_url: { url: "https://example.com/a.png" } };
    const withImages = {
      model: "m",
      messages: [{ role: "user", content: [{ type: "text", text: "look" }, image, image] }],
    };
    expect(promptBound(withImages).images).toBe(2);
    expect(promptBound(plain).images).toBe(0);
    const responses = {
      model: "m",
      input: [{ role: "user", content: [{ type: "input_image", image_url: "x" }] }],
    };
    expect(promptBound(responses).images).toBe(1);
    // Text about images is not an image.
    expect(promptBound(chat('{"type":"image_url"}')).images).toBe(0);
    const tools = [{ type: "function", function: { name: "f", parameters: { type: "object" } } }];
    expect(promptBound({ ...plain, tools }).tokens).toBeGreaterThan(
      promptBound(plain).tokens + TOOLS_FRAMING_TOKENS,
    );
    expect(promptBound({ ...plain, tools: [] }).tokens).toBeLessThan(promptBound(plain).tokens + 20);
  });
});

describe("attachments the upstream fetches itself", () => {
  const withPart = (part: object) => ({ model: "m", messages: [{ role: "user", content: [part] }] });

  it("are counted: files by id, videos, audio and PDFs by link or inline, documents, Responses' input files", () => {
    for (const part of [
      { type: "file", file: { file_id: "file-abc" } },
      { type: "file", file: { file_data: "data:application/pdf;base64,AAAA" } },
      { type: "image_url", image_url: { url: "https://example.com/talk.mp4" } },
      { type: "image_url", image_url: { url: "gs://bucket/report.pdf?x=1" } },
      { type: "image_url", image_url: { url: "data:video/mp4;base64,AAAA" } },
      { type: "image_url", image_url: { url: "data:Audio/ogg;base64,AAAA" } },
      { type: "document", source: { type: "url", url: "https://example.com/a.pdf" } },
      { type: "document", source: { type: "base64", media_type: "application/pdf", data: "AAAA" } },
      { type: "input_file", file_url: "https://example.com/a.pdf" },
      { type: "input_file", file_data: "data:application/pdf;base64,AAAA" },
    ]) {
      expect(promptBound(withPart(part)).fetched, JSON.stringify(part)).toBe(1);
    }
  });

  it("leave out images (bounded as images), text, and inline data billed by its bytes", () => {
    for (const part of [
      { type: "image_url", image_url: { url: "https://example.com/cat.png" } },
      { type: "image_url", image_url: { url: "https://example.com/render?id=3" } },
      { type: "image_url", image_url: { url: "data:image/png;base64,AAAA" } },
      { type: "file", file: { file_data: "data:text/plain;base64,AAAA" } },
      { type: "document", source: { type: "text", media_type: "text/plain", data: "notes" } },
      { type: "text", text: "see https://example.com/talk.mp4" },
    ]) {
      expect(promptBound(withPart(part)).fetched, JSON.stringify(part)).toBe(0);
    }
  });
});
