import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../config/load";

const load = (learned: unknown) =>
  loadConfig(
    JSON.stringify({
      model_list: [
        { model_name: "auto", litellm_params: { model: "mock/a" }, model_info: { id: "a-1" } },
        { model_name: "auto", litellm_params: { model: "mock/b" } },
      ],
      learned_routing: learned,
    }),
    {},
  ).config;

const problems = (learned: unknown): readonly string[] => {
  try {
    load(learned);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected the config to be refused");
};

describe("learned_routing in the config", () => {
  it("resolves groups, arms and defaults", () => {
    const settings = load({
      groups: {
        auto: {
          routers: [
            { strategy: "llmrouter-cost-aware", min_quality: 0.9, weight: 3 },
            { strategy: "llmrouter-bandit", name: "explore" },
          ],
          candidates: { "model-a": "a-1" },
        },
      },
    }).learnedRouting;
    expect(settings?.embeddingTimeoutMs).toBe(250);
    expect(settings?.feedbackTtlMs).toBe(86_400_000);
    expect(settings?.groups.get("auto")).toMatchObject({
      assignBy: "key",
      capturePrompts: false,
      mapping: { "model-a": "a-1" },
      arms: [
        { strategy: "llmrouter-cost-aware", name: "llmrouter-cost-aware", weight: 3, minQuality: 0.9 },
        { strategy: "llmrouter-bandit", name: "explore", weight: 1, costWeight: undefined },
      ],
    });
    expect(load(undefined).learnedRouting).toBeUndefined();
  });

  it("refuses groups, deployments and embedding models that are not configured", () => {
    expect(
      problems({
        groups: { nope: { routers: [{ strategy: "llmrouter-knn" }] } },
        embedding_model: "missing",
      }),
    ).toEqual([
      'learned_routing.groups.nope: unknown model group "nope"; known: auto',
      'learned_routing.embedding_model: unknown model group "missing"',
    ]);
    expect(
      problems({ groups: { auto: { routers: [{ strategy: "llmrouter-knn" }], candidates: { x: "z" } } } }),
    ).toEqual(['learned_routing.groups.auto.candidates.x: no deployment "z" in model group "auto"']);
  });

  it("refuses knobs a router does not take, custom routers without a file, and typos", () => {
    const refused = (arm: Record<string, unknown>) =>
      problems({ groups: { auto: { routers: [arm] } } }).join("\n");
    expect(refused({ strategy: "llmrouter-knn", min_quality: 0.5 })).toContain(
      "only llmrouter-cost-aware takes min_quality",
    );
    expect(refused({ strategy: "llmrouter-custom" })).toContain("path: required for llmrouter-custom");
    expect(refused({ strategy: "llmrouter-custom", path: "https://evil.example/r.mjs" })).toContain(
      "expected a file path, not a URL",
    );
    expect(refused({ strategy: "llmrouter-knn", cost_wieght: 0.1 })).toMatch(/cost_wieght/);
    expect(refused({ strategy: "llmrouter-pickle" })).toMatch(/strategy/);
    expect(
      problems({
        groups: { auto: { routers: [{ strategy: "llmrouter-knn" }, { strategy: "llmrouter-knn" }] } },
      }),
    ).toEqual([
      'learned_routing.groups.auto.routers: two routers named "llmrouter-knn"; give each a distinct name',
    ]);
  });
});
