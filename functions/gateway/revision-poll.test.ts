import { describe, expect, it, vi } from "vitest";
import { silentLogger } from "../../shared/logging/logger";
import { revisionPoll } from "./revision-poll";

describe("revisionPoll", () => {
  it("checks on the first invoke, then at most once per interval", async () => {
    let now = 1_000;
    const check = vi.fn(async () => {});
    const poll = revisionPoll({
      check,
      intervalMs: 5_000,
      budgetMs: 1_000,
      logger: silentLogger,
      now: () => now,
    });
    await poll.beforeInvoke();
    now += 4_999;
    await poll.beforeInvoke();
    expect(check).toHaveBeenCalledTimes(1);
    now += 1;
    await poll.beforeInvoke();
    expect(check).toHaveBeenCalledTimes(2);
    expect(poll.lastCheckAt).toBe(6_000);
  });

  it("waits at most the budget for a slow check, and survives a failing one", async () => {
    vi.useFakeTimers();
    try {
      const warnings: string[] = [];
      const logger = { ...silentLogger, warn: (message: string) => warnings.push(message) };
      let now = 0;
      const checks = [
        () => new Promise<void>(() => {}),
        () => Promise.reject(new Error("connection refused")),
      ];
      const poll = revisionPoll({
        check: () => (checks.shift() as () => Promise<void>)(),
        intervalMs: 10,
        budgetMs: 1_000,
        logger,
        now: () => now,
      });
      const slow = poll.beforeInvoke();
      await vi.advanceTimersByTimeAsync(1_000);
      await slow;
      now += 10;
      await poll.beforeInvoke();
      expect(warnings).toEqual([
        "config revision check failed; serving the current config",
        "config revision check failed; serving the current config",
      ]);
    } finally {
      vi.useRealTimers();
    }
  });

  it("hands a check it stops waiting for to keepAlive, which sees it finish", async () => {
    vi.useFakeTimers();
    try {
      let finish = () => {};
      const poll = revisionPoll({
        check: () =>
          new Promise<void>((resolve) => {
            finish = resolve;
          }),
        intervalMs: 10,
        budgetMs: 1_000,
        logger: silentLogger,
      });
      const kept: Promise<void>[] = [];
      const invoke = poll.beforeInvoke((check) => kept.push(check));
      await vi.advanceTimersByTimeAsync(1_000);
      await invoke;
      expect(kept).toHaveLength(1);
      let settled = false;
      void kept[0]?.then(() => {
        settled = true;
      });
      await vi.advanceTimersByTimeAsync(0);
      expect(settled).toBe(false);
      finish();
      await vi.advanceTimersByTimeAsync(0);
      expect(settled).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });
});
