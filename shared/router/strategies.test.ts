import { describe, expect, it } from "vitest";
import { strategies, strategyNames } from "./strategies";
import { usageBased } from "./usage-based";

describe("strategies", () => {
  it("has exactly one function per LiteLLM strategy name", () => {
    expect(Object.keys(strategies).sort()).toEqual([...strategyNames].sort());
    for (const name of strategyNames) expect(typeof strategies[name]).toBe("function");
  });

  it("routes usage-based-routing-v2 like usage-based-routing", () => {
    expect(strategies["usage-based-routing-v2"]).toBe(usageBased);
    expect(strategies["usage-based-routing"]).toBe(usageBased);
  });

  it("is frozen", () => {
    expect(Object.isFrozen(strategies)).toBe(true);
    expect(Object.isFrozen(strategyNames)).toBe(true);
  });
});
