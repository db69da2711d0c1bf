import { describe, expect, it } from "vitest";
import { MemoryRouterState } from "../../shared/router/memory-state";
import type { Outcome } from "../../shared/router/types";
import { SettlingRouterState } from "./settling-router-state";

const failed: Outcome = { result: "failed", latencyMs: 5, tokens: 0, coolNow: true };

describe("SettlingRouterState", () => {
  it("flush waits for outcomes still being written, then for the batched counts", async () => {
    const inner = new MemoryRouterState();
    let write = () => {};
    const slowEnd = new Promise<boolean>((resolve) => {
      write = () => resolve(true);
    });
    const order: string[] = [];
    const state = new SettlingRouterState(
      { stats: (d) => inner.stats(d), begin: (id) => inner.begin(id), end: () => slowEnd },
      async () => {
        order.push("batched counts");
      },
    );
    state.begin("a");
    const ended = state.end("a", failed, { allowedFails: 0, cooldownMs: 1_000 });
    const flushed = state.flush().then(() => order.push("flushed"));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(order).toEqual([]);
    write();
    expect(await ended).toBe(true);
    await flushed;
    expect(order).toEqual(["batched counts", "flushed"]);
  });
});
