import { describe, expect, it } from "vitest";
import { candidate, context } from "./test-fixtures";
import { usageBased } from "./usage-based";

describe("usageBased", () => {
  it("picks the lowest tpm usage among deployments with headroom", () => {
    const candidates = [
      candidate("busy", {}, { tpm: 900 }),
      candidate("quiet", {}, { tpm: 100 }),
      candidate("mid", {}, { tpm: 400 }),
    ];
    expect(
      usageBased(
        candidates,
        context(() => 0.5),
      )?.deployment.id,
    ).toBe("quiet");
  });

  it("skips a deployment at its rpm limit", () => {
    const candidates = [
      candidate("full", { rpm: 10 }, { rpm: 10, tpm: 0 }),
      candidate("open", { rpm: 10 }, { rpm: 9, tpm: 500 }),
    ];
    expect(
      usageBased(
        candidates,
        context(() => 0),
      )?.deployment.id,
    ).toBe("open");
  });

  it("skips a deployment the estimated tokens would push past its tpm limit", () => {
    const candidates = [
      candidate("tight", { tpm: 1_000 }, { tpm: 0 }),
      candidate("roomy", { tpm: 10_000 }, { tpm: 500 }),
    ];
    expect(
      usageBased(
        candidates,
        context(() => 0, { estimatedTokens: 1_000 }),
      )?.deployment.id,
    ).toBe("tight");
    expect(
      usageBased(
        candidates,
        context(() => 0, { estimatedTokens: 1_001 }),
      )?.deployment.id,
    ).toBe("roomy");
  });

  it("returns undefined when no deployment has headroom", () => {
    const candidates = [candidate("a", { rpm: 1 }, { rpm: 1 }), candidate("b", { tpm: 100 }, { tpm: 90 })];
    expect(
      usageBased(
        candidates,
        context(() => 0, { estimatedTokens: 20 }),
      ),
    ).toBeUndefined();
  });

  it("breaks ties at random", () => {
    const candidates = [candidate("a", {}, { tpm: 5 }), candidate("b", {}, { tpm: 5 })];
    expect(
      usageBased(
        candidates,
        context(() => 0.3),
      )?.deployment.id,
    ).toBe("a");
    expect(
      usageBased(
        candidates,
        context(() => 0.6),
      )?.deployment.id,
    ).toBe("b");
  });
});
