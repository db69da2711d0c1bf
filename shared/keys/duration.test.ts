import { describe, expect, it } from "vitest";
import { durationMs, durationSchema, nextReset, parseDuration } from "./duration";

describe("durations", () => {
  it.each([
    ["30s", 30_000],
    ["30m", 1_800_000],
    ["1h", 3_600_000],
    ["7d", 604_800_000],
    ["30d", 2_592_000_000],
    ["2w", 1_209_600_000],
  ])("%s is %i ms", (text, ms) => {
    expect(durationMs(text)).toBe(ms);
  });

  it("counts months on the calendar, clamping to the month's last day", () => {
    expect(nextReset(new Date("2024-01-15T08:00:00Z"), "1mo").toISOString()).toBe("2024-02-15T08:00:00.000Z");
    expect(nextReset(new Date("2024-01-31T00:00:00Z"), "1mo").toISOString()).toBe("2024-02-29T00:00:00.000Z");
    expect(nextReset(new Date("2024-11-30T00:00:00Z"), "3mo").toISOString()).toBe("2025-02-28T00:00:00.000Z");
    expect(durationMs("1mo", new Date("2024-02-01T00:00:00Z"))).toBe(29 * 86_400_000);
  });

  it.each(["", "30", "d", "0d", "-1d", "1.5h", "1y", "7 d", "1000000d", " 1h"])("rejects %j", (text) => {
    expect(parseDuration(text)).toBeUndefined();
    expect(durationSchema.safeParse(text).success).toBe(false);
    expect(() => nextReset(new Date(), text)).toThrow(RangeError);
  });
});
