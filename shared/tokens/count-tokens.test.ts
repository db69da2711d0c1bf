import { countTokens as exactCount } from "gpt-tokenizer/encoding/o200k_base";
import { describe, expect, it } from "vitest";
import { countTokens } from "./count-tokens";

describe("countTokens", () => {
  it("counts with the o200k_base tokenizer, not by characters", async () => {
    // Known o200k_base counts: English words are about one token each; CJK text is not 4 chars a token.
    expect(await countTokens("Hello world")).toBe(2);
    expect(await countTokens("")).toBe(0);
    const japanese = "東京は日本の首都です";
    expect(await countTokens(japanese)).toBeGreaterThan(Math.ceil(japanese.length / 4));
  });

  it("counts a special token's text as the text it is, as upstreams read a prompt", async () => {
    const text = "a <|endoftext|> b <|im_start|>";
    expect(await countTokens(text)).toBe(exactCount(text, { disallowedSpecial: new Set() }));
    expect(await countTokens(text)).toBeGreaterThan(4);
  });

  it("extrapolates past the exactly counted prefix, proportionally", async () => {
    const huge = "The quick brown fox jumps over the lazy dog. ".repeat(20_000); // 900 KB
    const exact = exactCount(huge);
    const counted = await countTokens(huge);
    expect(counted).toBeGreaterThan(exact * 0.99);
    expect(counted).toBeLessThan(exact * 1.01);
  });
});
