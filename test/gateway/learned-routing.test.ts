import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { routerTypes } from "../../shared/learned/artifact/format";
import { MASTER_KEY, startGateway } from "../support/gateway";
import { learnedDeployments, requestIdFor, tinyArtifact, writeTemp } from "../support/learned";
import { generateKey, metricTotal, waitFor } from "../support/replicas";

type Gateway = Awaited<ReturnType<typeof startGateway>>;

let gateway: Gateway;
let keyA: string;
let keyB: string;

/** A fresh request id that lands on the arm named `name` of group auto. */
let requests = 0;
const idFor = (name: string) =>
  requestIdFor(
    gateway.deps.config.current().learnedRouting?.groups.get("auto")?.arms ?? [],
    "auto",
    name,
    `r${++requests}`,
  );

async function chat(key: string, content: string, model = "auto", requestId?: string) {
  const response = await fetch(`${gateway.url}/v1/chat/completions`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${key}`,
      "content-type": "application/json",
      ...(requestId === undefined ? {} : { "x-request-id": requestId }),
    },
    body: JSON.stringify({ model, messages: [{ role: "user", content }] }),
  });
  expect(response.status).toBe(200);
  await response.json();
  return response.headers;
}

async function feedback(key: string | undefined, body: unknown) {
  const response = await fetch(`${gateway.url}/llmrouter/feedback`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(key === undefined ? {} : { authorization: `Bearer ${key}` }),
    },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON answers
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

beforeAll(async () => {
  gateway = await startGateway(
    {
      model_list: [
        ...learnedDeployments("auto"),
        ...learnedDeployments("mine", "2"),
        { model_name: "classic", litellm_params: { model: "mock/classic" } },
      ],
      learned_routing: {
        groups: {
          // Every router type, one A/B arm each; the request id decides the arm, so tests pick it.
          auto: {
            routers: routerTypes.map((t) => ({
              strategy: `llmrouter-${t}`,
              ...(t === "cost-aware" ? { min_quality: 1 } : { cost_weight: 0 }),
            })),
            assign_by: "request",
            capture_prompts: true,
          },
          // A custom router, by a path relative to the config file.
          mine: { routers: [{ strategy: "llmrouter-custom", path: "./routers/by-length.mjs" }] },
        },
      },
    },
    { LLMROUTER_MODEL_PATH: writeTemp("router.json", tinyArtifact()) },
  );
  keyA = await generateKey(gateway, { key_alias: "learned-a" });
  keyB = await generateKey(gateway, { key_alias: "learned-b" });
}, 60_000);

afterAll(async () => {
  await gateway?.shutdown();
});

describe("learned routing through the gateway", () => {
  it("serves requests with every router type, each response naming the router, its arm and why", async () => {
    for (const type of routerTypes) {
      const strategy = `llmrouter-${type}`;
      const headers = await chat(keyA, "def function return python list", "auto", idFor(strategy));
      expect(headers.get("x-routeiq-ab")).toBe(strategy);
      expect(headers.get("x-routeiq-router")).toMatch(
        new RegExp(`^${strategy}; chose=\\w+; .*features=local; artifact=0$`),
      );
      expect(headers.get("x-routeiq-deployment")).toMatch(/^(cheap|coder|big)-1$/);
    }
    const knn = await chat(keyA, "def function return python list", "auto", idFor("llmrouter-knn"));
    expect(knn.get("x-routeiq-deployment")).toBe("coder-1");
    expect((await chat(keyA, "hello", "classic")).get("x-routeiq-router")).toBe("simple-shuffle");
    expect(
      await metricTotal(gateway, "routeiq_learned_decisions_total", {
        model_group: "auto",
        outcome: "chosen",
      }),
    ).toBe(routerTypes.length + 1);
    // The A/B arm is a label of the decision metric too.
    expect(
      await metricTotal(gateway, "routeiq_learned_decisions_total", {
        model_group: "auto",
        arm: "llmrouter-knn",
        outcome: "chosen",
      }),
    ).toBe(2);
  });

  it("runs a custom router loaded from the file the config names, beside the config", async () => {
    const dir = join(dirname(gateway.configPath), "routers");
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, "by-length.mjs"),
      `export function route({ prompt, deployments }) {
        const ids = deployments.map((d) => d.id);
        return prompt.length > 20 ? { deployment: ids.find((id) => id.startsWith("big")), reason: "long" } : ids.find((id) => id.startsWith("cheap"));
      }`,
    );
    const short = await chat(keyA, "hi", "mine");
    expect(short.get("x-routeiq-deployment")).toBe("cheap-2");
    expect(short.get("x-routeiq-router")).toMatch(/^llmrouter-custom; chose=cheap-2; /);
    const long = await chat(keyA, "a much longer prompt than twenty characters", "mine");
    expect(long.get("x-routeiq-deployment")).toBe("big-2");
    expect(long.get("x-routeiq-router")).toMatch(/^llmrouter-custom; chose=big-2; long; /);
  });

  it("takes feedback from the key that made the request, once, and from nobody else", async () => {
    const id = idFor("llmrouter-knn");
    await chat(keyA, "def function return python list", "auto", id);
    expect((await feedback(keyB, { request_id: id, score: 0 })).body.error.code).toBe("decision_not_found");
    expect(await feedback(undefined, { request_id: id, score: 0 })).toMatchObject({ status: 401 });
    const recorded = await feedback(keyA, { request_id: id, score: 0.75 });
    expect(recorded).toEqual({
      status: 200,
      body: {
        request_id: id,
        model_group: "auto",
        deployment: "coder-1",
        router: "llmrouter-knn",
        arm: "llmrouter-knn",
        score: 0.75,
        stored: true,
      },
    });
    expect(await feedback(keyA, { request_id: id, score: 1 })).toMatchObject({
      status: 409,
      body: { error: { code: "feedback_already_given" } },
    });
    const { rows } = await gateway.deps.sql.query<{ score: number; deployment: string }>(
      "SELECT score, deployment FROM routeiq_router_feedback WHERE request_id = $1",
      [id],
    );
    expect(rows).toEqual([{ score: 0.75, deployment: "coder-1" }]);
  });

  it("refuses malformed, oversized and unknown feedback, and lets the master key rate any request", async () => {
    expect((await feedback(keyA, { request_id: "x", score: 2 })).body.error).toMatchObject({
      code: "invalid_request",
      param: "score",
    });
    expect((await feedback(keyA, { request_id: "x", score: 1, extra: "no" })).status).toBe(400);
    expect((await feedback(keyA, { request_id: "x".repeat(5_000), score: 1 })).status).toBe(413);
    expect((await feedback(keyA, "[".repeat(100))).status).toBe(400);
    expect((await feedback(keyA, { request_id: "never-routed", score: 1 })).status).toBe(404);
    const id = idFor("llmrouter-cost-aware");
    await chat(keyB, "who wrote the novel", "auto", id);
    expect((await feedback(MASTER_KEY, { request_id: id, score: 1 })).body).toMatchObject({
      router: "llmrouter-cost-aware",
      stored: true,
    });
  });

  it("records the router, its arm and the captured prompt in the spend log", async () => {
    const id = idFor("llmrouter-mlp");
    await chat(keyA, "solve the equation x + 7", "auto", id);
    let routing: Record<string, unknown> | undefined;
    await waitFor(
      "spend-log row",
      async () => {
        const { rows } = await gateway.deps.sql.query<{ metadata: { routing?: Record<string, unknown> } }>(
          "SELECT metadata FROM routeiq_spend_logs WHERE metadata->>'request_id' = $1",
          [id],
        );
        routing = rows[0]?.metadata.routing;
        return routing !== undefined;
      },
      10_000,
    );
    expect(routing).toMatchObject({
      router: "llmrouter-mlp",
      arm: "llmrouter-mlp",
      features: "local",
      artifact_revision: 0,
      prompt: "solve the equation x + 7",
    });
  });
});
