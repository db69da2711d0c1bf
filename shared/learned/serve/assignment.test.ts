import { describe, expect, it } from "vitest";
import type { Principal } from "../../auth/principal";
import type { KeyContext } from "../../keys/key-context";
import type { Arm, LearnedGroup } from "../settings";
import { assignArm, subjectOf } from "./assignment";

const arm = (name: string, weight: number): Arm => ({
  strategy: "llmrouter-knn",
  name,
  weight,
  costWeight: undefined,
  minQuality: undefined,
  path: undefined,
});
const arms = [arm("a", 80), arm("b", 20)];

const group = (assignBy: LearnedGroup["assignBy"]): LearnedGroup => ({
  arms,
  assignBy,
  mapping: {},
  capturePrompts: false,
});
const keyOf = (keyHash: string, userId: string | null): Principal => ({
  kind: "virtual_key",
  keyHash,
  context: { key: { userId } } as KeyContext,
});

describe("A/B assignment", () => {
  it("is deterministic per key, and splits keys by the arms' weights", () => {
    const counts = { a: 0, b: 0 };
    for (let i = 0; i < 10_000; i++) {
      const subject = subjectOf(group("key"), keyOf(`hash-${i}`, null), "req");
      const chosen = assignArm(arms, subject, "auto");
      expect(assignArm(arms, subject, "auto")).toBe(chosen);
      counts[chosen.name as "a" | "b"] += 1;
    }
    expect(counts.a / 10_000).toBeGreaterThan(0.78);
    expect(counts.a / 10_000).toBeLessThan(0.82);
  });

  it("keeps a user's keys together when assigned by user, and varies per request when assigned by request", () => {
    expect(subjectOf(group("user"), keyOf("h1", "u1"), "r1")).toBe(
      subjectOf(group("user"), keyOf("h2", "u1"), "r2"),
    );
    expect(subjectOf(group("user"), keyOf("h1", null), "r1")).toBe("key:h1");
    expect(subjectOf(group("request"), keyOf("h1", "u1"), "r1")).not.toBe(
      subjectOf(group("request"), keyOf("h1", "u1"), "r2"),
    );
  });

  it("does not put a caller in the same arm of every group", () => {
    const names = Array.from(
      { length: 50 },
      (_, i) => assignArm([arm("a", 1), arm("b", 1)], "key:h", `group-${i}`).name,
    );
    expect(new Set(names)).toEqual(new Set(["a", "b"]));
  });
});
