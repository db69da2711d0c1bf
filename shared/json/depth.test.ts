import { describe, expect, it } from "vitest";
import { jsonDepthExceeds } from "./depth";

const nested = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`;

describe("jsonDepthExceeds", () => {
  it("measures objects and arrays alike", () => {
    expect(jsonDepthExceeds('{"a":[{"b":[1]}]}', 4)).toBe(false);
    expect(jsonDepthExceeds('{"a":[{"b":[1]}]}', 3)).toBe(true);
  });

  it("ignores brackets inside strings, escaped quotes included", () => {
    expect(jsonDepthExceeds(`{"text":"${"[{".repeat(500)}"}`, 1)).toBe(false);
    expect(jsonDepthExceeds(`{"text":"a\\"[[[[","b":[[1]]}`, 3)).toBe(false);
    expect(jsonDepthExceeds(`{"text":"a\\\\","b":[[1]]}`, 2)).toBe(true);
  });

  it("stops at the limit on a body far deeper than any stack", () => {
    expect(jsonDepthExceeds(nested(1_000_000), 64)).toBe(true);
    expect(jsonDepthExceeds(nested(64), 64)).toBe(false);
  });
});
