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

  it("estimates text past 256 KiB from places it picks at random, proportionally", async () => {
    const huge = "The quick brown fox jumps over the lazy dog. ".repeat(20_000); // 900 KB
    const exact = exactCount(huge);
    const counted = await countTokens(huge);
    expect(counted).toBeGreaterThan(exact * 0.99);
    expect(counted).toBeLessThan(exact * 1.01);
  });

  it("cannot be steered by a cheap prefix: English first, dense text after", async () => {
    // 300 KB of English (a quarter of a token a character), then 200 K characters at about three.
    const english = "The quick brown fox jumps over the lazy dog. ".repeat(6_700);
    const dense = denseText(200_000, 0xe000, 6_000);
    const exact = exactCount(english) + (await countTokens(dense));
    const counted = await countTokens(english + dense);
    expect(counted).toBeGreaterThan(exact * 0.85);
    expect(counted).toBeLessThan(exact * 1.15);
  });

  it("counts ordinary text exactly, however long its lines", async () => {
    const text = `${"Dear team,\n\n  The report (v2.1) is   attached; totals: 1,234,567 — see §4.\t".repeat(3_000)}end`;
    expect(await countTokens(text)).toBe(exactCount(text, { disallowedSpecial: new Set() }));
  });

  it("counts long runs without spaces in linear time, never holding the event loop for long", async () => {
    // The tokenizer's byte-pair merge is quadratic in a run's length: 16 K CJK characters in one
    // run took it 4 s. Here 64 K of them, with a timer that must keep firing meanwhile.
    const cjk = denseText(64_000, 0x4e00, 20_000);
    const ticks: number[] = [];
    const timer = setInterval(() => ticks.push(performance.now()), 10);
    const started = performance.now();
    const counted = await countTokens(cjk);
    const elapsed = performance.now() - started;
    clearInterval(timer);
    expect(counted).toBeGreaterThan(cjk.length);
    expect(elapsed).toBeLessThan(5_000);
    const gaps = ticks.slice(1).map((t, i) => t - (ticks[i] as number));
    expect(Math.max(0, ...gaps)).toBeLessThan(250);
    // Cut runs cost at most a token a cut.
    const sample = cjk.slice(0, 4_096);
    expect(await countTokens(sample)).toBeGreaterThanOrEqual(exactCount(sample));
    expect(await countTokens(sample)).toBeLessThanOrEqual(exactCount(sample) + sample.length / 128);
  });
});

/** Characters drawn from a block of `span` code points at `base`, seeded so runs repeat exactly. */
function denseText(length: number, base: number, span: number): string {
  let seed = 12_345;
  const next = () => {
    seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
    return seed / 2 ** 32;
  };
  return Array.from({ length }, () => String.fromCharCode(base + Math.floor(next() * span))).join("");
}
