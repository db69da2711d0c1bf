import { describe, expect, it } from "vitest";
import { oncePerContainer } from "./once-per-container";

describe("oncePerContainer", () => {
  it("runs the setup once for concurrent and later callers", async () => {
    let runs = 0;
    const get = oncePerContainer(async () => ++runs);
    expect(await Promise.all([get(), get()])).toEqual([1, 1]);
    expect(await get()).toBe(1);
  });

  it("forgets a failed setup, so the next call tries again", async () => {
    let runs = 0;
    const get = oncePerContainer(async () => {
      runs += 1;
      if (runs === 1) throw new Error("database not reachable yet");
      return "ready";
    });
    await expect(get()).rejects.toThrow("database not reachable yet");
    expect(await get()).toBe("ready");
  });
});
