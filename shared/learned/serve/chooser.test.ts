import { describe, expect, it } from "vitest";
import type { Principal } from "../../auth/principal";
import { loadConfig } from "../../config/load";
import type { KeyContext } from "../../keys/key-context";
import { silentLogger } from "../../logging/logger";
import { prometheusMetrics } from "../../metrics/prometheus";
import type { PreparedChoice } from "../../router/choice";
import { candidate } from "../../router/test-fixtures";
import { MemoryKv } from "../../store/kv/memory";
import { decodeArtifact } from "../artifact/decode";
import type { RouterType } from "../artifact/format";
import { KINDS, type Kind, prompt, TINY, tinySet, WORDS } from "../test-fixtures";
import { seededRandom } from "../train/random";
import { trainArtifact } from "../train/train";
import { LearnedChooser } from "./chooser";
import type { CustomRouter } from "./custom-router";
import { EmbeddingFeatures } from "./embedding-features";
import { RouterHolder } from "./holder";
import { LearnedStore } from "./learned-store";

const AXIS: Readonly<Record<Kind, number>> = { trivia: 0, code: 1, maths: 2 };
/** A stand-in embedding model that knows each kind of prompt by its words. */
const embedOf = (text: string) => {
  const v = new Float32Array(6).fill(0.05);
  const words = text.split(" ");
  for (const kind of KINDS)
    v[AXIS[kind]] = words.filter((w) => (WORDS[kind] as readonly string[]).includes(w)).length;
  return v;
};

async function artifactWith(routers: RouterType[], embeddings = false) {
  const set = tinySet();
  const json = trainArtifact(set, {
    ...TINY,
    routers,
    embeddings: embeddings
      ? { model: "embed", vectors: set.examples.map((e) => embedOf(e.text)) }
      : undefined,
  });
  return decodeArtifact(new TextEncoder().encode(JSON.stringify(json)));
}

function configWith(learned: Record<string, unknown>) {
  return loadConfig(
    JSON.stringify({
      model_list: [
        ...["cheap", "coder", "big"].map((m) => ({
          model_name: "auto",
          litellm_params: { model: `mock/${m}` },
          model_info: { id: `${m}-1` },
        })),
        { model_name: "embed", litellm_params: { model: "mock/embedder" } },
      ],
      learned_routing: learned,
    }),
    {},
  ).config;
}

const keyPrincipal = (keyHash: string): Principal => ({
  kind: "virtual_key",
  keyHash,
  context: { key: { userId: null } } as KeyContext,
});

interface Setup {
  readonly learned: Record<string, unknown>;
  readonly routers?: RouterType[];
  readonly loaded?: boolean;
  readonly embeddings?: { trained: boolean; embed: (group: string, text: string) => Promise<Float32Array> };
  readonly custom?: CustomRouter;
}

async function setup(options: Setup) {
  const config = configWith(options.learned);
  const holder = new RouterHolder();
  if (options.loaded ?? true) {
    const artifact = await artifactWith(options.routers ?? ["knn"], options.embeddings?.trained ?? false);
    holder.swap({ artifact, revision: 7, checksum: "c", source: "test", loadedAt: new Date() });
  }
  let clock = 0;
  const store = new LearnedStore(new MemoryKv(), { now: () => clock });
  const metrics = prometheusMetrics({ defaultMetrics: false });
  const chooser = new LearnedChooser({
    config: { current: () => config },
    holder,
    store,
    embeddings: new EmbeddingFeatures(
      options.embeddings?.embed ?? (() => Promise.reject(new Error("no embeddings"))),
    ),
    loadCustomRouter: async () => options.custom ?? (() => "big-1"),
    metrics,
    logger: silentLogger,
    random: seededRandom(11),
  });
  const auto = config.groups.get("auto") ?? [];
  let request = 0;
  const prepare = async (text: string, principal: Principal = { kind: "master" }) =>
    (await chooser.prepare({
      group: "auto",
      route: "chat",
      request: {
        model: "auto",
        messages: [
          { role: "system", content: "be brief" },
          { role: "user", content: text },
        ],
      },
      principal,
      requestId: `req-${++request}`,
    })) as PreparedChoice;
  const pick = (choice: PreparedChoice) =>
    choice.strategy(
      auto.map((d) => candidate(d.id, d)),
      { estimatedTokens: 1, random: seededRandom(3), args: {} },
    )?.deployment;
  return { prepare, pick, store, metrics, auto, tick: (ms: number) => (clock += ms) };
}

const single = (strategy: string, extra: Record<string, unknown> = {}) => ({
  groups: { auto: { routers: [{ strategy, ...extra }] } },
});

describe("LearnedChooser", () => {
  it("sends each kind of prompt to the deployment of the candidate that serves it, and says why", async () => {
    const { prepare, pick } = await setup({ learned: single("llmrouter-knn", { cost_weight: 0 }) });
    const random = seededRandom(5);
    for (const [kind, id] of [
      ["trivia", "cheap-1"],
      ["code", "coder-1"],
      ["maths", "big-1"],
    ] as const) {
      const choice = await prepare(prompt(kind, random));
      expect(pick(choice)?.id).toBe(id);
      expect(choice.headers["x-routeiq-router"]).toMatch(
        new RegExp(`^llmrouter-knn; chose=${id.slice(0, -2)}; max-utility; .*features=local; artifact=7$`),
      );
      expect(choice.metadata).toMatchObject({
        routing: { router: "llmrouter-knn", arm: "llmrouter-knn", artifact_revision: 7 },
      });
    }
  });

  it("leaves the choice to the group's strategy, and says so, until a routing model is loaded", async () => {
    const { prepare, metrics } = await setup({ learned: single("llmrouter-mlp"), loaded: false });
    const choice = await prepare("who wrote this novel");
    expect(choice.headers["x-routeiq-router"]).toBe(
      "llmrouter-mlp; fallback=no-routing-model; features=none; strategy=simple-shuffle",
    );
    expect((await metrics.render()).body).toContain(
      'routeiq_learned_decisions_total{model_group="auto",router="llmrouter-mlp",arm="llmrouter-mlp",features="none",outcome="fallback"} 1',
    );
  });

  it("splits callers between A/B arms by weight, each caller always on its arm, the arm in a header", async () => {
    const { prepare } = await setup({
      routers: ["knn", "cost-aware"],
      learned: {
        groups: {
          auto: {
            routers: [
              { strategy: "llmrouter-knn", name: "quality", weight: 1, cost_weight: 0 },
              { strategy: "llmrouter-cost-aware", name: "thrifty", weight: 1, min_quality: 0 },
            ],
          },
        },
      },
    });
    const arms = new Map<string, string>();
    for (let i = 0; i < 40; i++) {
      const choice = await prepare("solve the equation", keyPrincipal(`hash-${i}`));
      arms.set(`hash-${i}`, choice.headers["x-routeiq-ab"] as string);
      expect(choice.headers["x-routeiq-router"]).toMatch(
        choice.headers["x-routeiq-ab"] === "quality" ? /^llmrouter-knn;/ : /^llmrouter-cost-aware;/,
      );
    }
    expect(new Set(arms.values())).toEqual(new Set(["quality", "thrifty"]));
    for (const [hash, arm] of arms)
      expect((await prepare("x", keyPrincipal(hash))).headers["x-routeiq-ab"]).toBe(arm);
  });

  it("learns from upstream failures (bandit): a deployment that keeps failing stops being chosen", async () => {
    const { prepare, pick, auto, tick } = await setup({
      routers: ["bandit"],
      learned: single("llmrouter-bandit", { cost_weight: 0 }),
    });
    // Trivia: cheap is best by the training data, big a fair second.
    const text = prompt("trivia", seededRandom(2));
    const cheap = auto.find((d) => d.id === "cheap-1");
    const picks = async () =>
      Promise.all(Array.from({ length: 20 }, async () => pick(await prepare(text))?.id));
    expect((await picks()).filter((id) => id === "cheap-1").length).toBeGreaterThan(15);
    const choice = await prepare(text);
    for (let i = 0; i < 200; i++) choice.attempted?.(cheap as NonNullable<typeof cheap>, "failed");
    await new Promise((resolve) => setTimeout(resolve, 20));
    tick(1_000);
    const after = await picks();
    expect(after.filter((id) => id === "cheap-1").length).toBeLessThan(3);
    expect(after.filter((id) => id === "big-1").length).toBeGreaterThan(15);
  });

  it("keeps an answered request's decision for feedback by its owner", async () => {
    const { prepare, store, auto } = await setup({ learned: single("llmrouter-knn") });
    const owner = keyPrincipal("hash-owner");
    const choice = await prepare("def function return", owner);
    choice.attempted?.(auto[1] as (typeof auto)[number], "ok");
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(await store.claim("req-1", "key:hash-other")).toEqual({ kind: "missing" });
    expect(await store.claim("req-1", "key:hash-owner")).toMatchObject({
      kind: "claimed",
      record: { group: "auto", deployment: "coder-1", candidate: "coder", router: "llmrouter-knn" },
    });
  });

  it("uses embedding features when the embedding model answers in time, local ones when it does not", async () => {
    const fast = await setup({
      learned: { ...single("llmrouter-knn", { cost_weight: 0 }), embedding_model: "embed" },
      embeddings: { trained: true, embed: async (_group, text) => embedOf(text) },
    });
    const code = prompt("code", seededRandom(4));
    const choice = await fast.prepare(code);
    expect(choice.headers["x-routeiq-router"]).toContain("features=embedding");
    expect(fast.pick(choice)?.id).toBe("coder-1");
    const slow = await setup({
      learned: {
        ...single("llmrouter-knn", { cost_weight: 0 }),
        embedding_model: "embed",
        embedding_timeout: 0.02,
      },
      embeddings: { trained: true, embed: () => new Promise(() => {}) },
    });
    const late = await slow.prepare(code);
    expect(late.headers["x-routeiq-router"]).toContain("features=local");
    expect(slow.pick(late)?.id).toBe("coder-1");
  });

  it("runs a custom router, and falls back to the group's strategy when it fails or takes too long", async () => {
    const custom = (route: CustomRouter, timeout = 0.25) =>
      setup({
        learned: { ...single("llmrouter-custom", { path: "./mine.mjs" }), custom_timeout: timeout },
        custom: route,
        loaded: false,
      });
    const good = await custom((input) => ({
      deployment: "big-1",
      reason: `saw ${input.deployments.length}`,
    }));
    const choice = await good.prepare("anything");
    expect(good.pick(choice)?.id).toBe("big-1");
    expect(choice.headers["x-routeiq-router"]).toBe("llmrouter-custom; chose=big-1; saw 3; features=none");
    const broken = await custom(() => {
      throw new Error("bug");
    });
    expect((await broken.prepare("x")).headers["x-routeiq-router"]).toContain(
      "fallback=custom-router-failed",
    );
    const slow = await custom(() => new Promise(() => {}), 0.02);
    expect((await slow.prepare("x")).headers["x-routeiq-router"]).toContain("fallback=custom-router-failed");
    const unknown = await custom(() => "not-a-deployment");
    expect((await unknown.prepare("x")).headers["x-routeiq-router"]).toContain(
      "fallback=custom-router-chose-no-deployment",
    );
  });

  it("keeps the prompt in the spend log only for groups that capture prompts", async () => {
    const quiet = await setup({ learned: single("llmrouter-knn") });
    expect((await quiet.prepare("secret question")).metadata).not.toHaveProperty("routing.prompt");
    const capturing = await setup({
      learned: { groups: { auto: { routers: [{ strategy: "llmrouter-knn" }], capture_prompts: true } } },
    });
    expect((await capturing.prepare("secret question")).metadata).toHaveProperty(
      "routing.prompt",
      "secret question",
    );
  });
});
