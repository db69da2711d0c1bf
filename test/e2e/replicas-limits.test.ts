import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Limiter } from "../../shared/limits/limiter";
import { silentLogger } from "../../shared/logging/logger";
import { DEFAULT_KV_PREFIX, prefixedKv } from "../../shared/store/kv/prefixed";
import { redisKv } from "../../shared/store/kv/redis";
import { promptBound } from "../../shared/tokens/prompt-bound";
import { type OpenAIUpstream, startOpenAIUpstream } from "../support/openai-upstream";
import {
  admin,
  type ChatOutcome,
  chat,
  type Gateway,
  generateKey,
  REDIS_URL,
  type Replicas,
  runTag,
  startReplicas,
  waitFor,
} from "../support/replicas";

// Rate limits and budgets are one allowance shared by every replica, not one per replica.

const INPUT_COST = 0.001;
const OUTPUT_COST = 0.002;
const QUESTION = [{ role: "user" as const, content: "how much does this cost?" }];

let slow: OpenAIUpstream;
let replicas: Replicas;
let a: Gateway;
let b: Gateway;
/** Tokens and USD of one `priced` request with QUESTION, measured with a key of its own. */
let tokens: { prompt: number; completion: number; total: number };
let cost: number;

beforeAll(async () => {
  slow = await startOpenAIUpstream({ name: "slow" });
  slow.setBehaviour({ delayMs: 300 });
  const config = {
    model_list: [
      {
        model_name: "priced",
        litellm_params: { model: "mock/priced", mock_response: "a reply of a known length" },
        model_info: { input_cost_per_token: INPUT_COST, output_cost_per_token: OUTPUT_COST },
      },
      {
        model_name: "slow",
        litellm_params: { model: "openai/slow", api_base: `${slow.url}/v1`, api_key: "sk-up" },
      },
    ],
  };
  replicas = await startReplicas([config, config]);
  [a, b] = replicas.gateways as [Gateway, Gateway];

  const probe = await chat(a, await generateKey(a), { model: "priced", messages: QUESTION });
  const usage = probe.completion?.usage;
  if (usage === undefined) throw new Error(`probe request failed: ${probe.status} ${probe.message}`);
  tokens = { prompt: usage.prompt_tokens, completion: usage.completion_tokens, total: usage.total_tokens };
  cost = tokens.prompt * INPUT_COST + tokens.completion * OUTPUT_COST;
});

afterAll(async () => {
  await replicas?.shutdown();
  await slow?.close();
});

/** `count` requests at once, alternating between the replicas. */
const burst = (key: string, count: number, params: Parameters<typeof chat>[2]): Promise<ChatOutcome[]> =>
  Promise.all(Array.from({ length: count }, (_, i) => chat(i % 2 === 0 ? a : b, key, params)));

const statusesOf = (outcomes: readonly ChatOutcome[]) => outcomes.map((o) => o.status).sort();

function expectRefusal(outcome: ChatOutcome, status: number, code: string): void {
  expect([outcome.status, outcome.code]).toEqual([status, code]);
}

function expectRetryAfter(outcome: ChatOutcome, atMostSeconds: number): void {
  const seconds = Number(outcome.headers.get("retry-after"));
  expect(Number.isInteger(seconds)).toBe(true);
  expect(seconds).toBeGreaterThanOrEqual(1);
  expect(seconds).toBeLessThanOrEqual(atMostSeconds);
}

describe("rate limits shared by the replicas", () => {
  it("rpm_limit counts the requests of every replica together", async () => {
    const key = await generateKey(a, { rpm_limit: 5 });
    const outcomes = await burst(key, 10, { model: "priced" });
    expect(statusesOf(outcomes)).toEqual([200, 200, 200, 200, 200, 429, 429, 429, 429, 429]);
    for (const refused of outcomes.filter((o) => o.status === 429)) {
      expectRefusal(refused, 429, "rpm_limit_exceeded");
      expectRetryAfter(refused, 60);
    }
    // Still refused on both once the burst is over: the window is a minute.
    for (const g of [a, b]) expectRefusal(await chat(g, key, { model: "priced" }), 429, "rpm_limit_exceeded");
  });

  it("max_parallel_requests counts requests in flight on every replica", async () => {
    const key = await generateKey(a, { max_parallel_requests: 1 });
    const seen = slow.requests.length;
    const first = chat(a, key, { model: "slow" });
    // Admitted once the upstream has it; it holds the one slot for 300 ms.
    await waitFor(
      "the first request reaching the upstream",
      async () => slow.requests.length > seen,
      2_000,
      5,
    );
    const second = await chat(b, key, { model: "slow" });
    expectRefusal(second, 429, "parallel_limit_exceeded");
    expectRetryAfter(second, 60);
    expect((await first).status).toBe(200);
    // The slot is released as the first answer is sent; the other replica can use it again.
    await waitFor(
      "the freed slot used by the other replica",
      async () => {
        const again = await chat(b, key, { model: "slow" });
        if (again.status !== 200) expectRefusal(again, 429, "parallel_limit_exceeded");
        return again.status === 200;
      },
      1_000,
    );
  });

  it("tpm_limit counts the tokens used on every replica", async () => {
    const key = await generateKey(a, { tpm_limit: tokens.total });
    expect((await chat(a, key, { model: "priced", messages: QUESTION })).status).toBe(200);
    // Tokens are counted once the answer is complete, just after it is sent.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const refused = await chat(b, key, { model: "priced", messages: QUESTION });
    expectRefusal(refused, 429, "tpm_limit_exceeded");
    expectRetryAfter(refused, 60);
  });
});

describe("tpm reserved at admission", () => {
  it("a burst across both replicas overshoots tpm_limit by at most one request", async () => {
    const limit = Math.ceil(3.5 * tokens.total);
    const key = await generateKey(a, { tpm_limit: limit });
    // Each request reserves its prompt estimate and max_tokens before any has finished.
    const outcomes = await burst(key, 20, {
      model: "priced",
      messages: QUESTION,
      max_tokens: tokens.completion,
    });
    const served = outcomes.filter((o) => o.status === 200);
    expect(served.length).toBeGreaterThanOrEqual(1);
    const used = served.reduce((sum, o) => sum + (o.completion?.usage?.total_tokens ?? 0), 0);
    expect(used).toBeLessThanOrEqual(limit + tokens.total);
    for (const refused of outcomes.filter((o) => o.status !== 200))
      expectRefusal(refused, 429, "tpm_limit_exceeded");
  });
});

describe("budgets shared by the replicas", () => {
  it("a burst across both replicas overspends max_budget by at most one request", async () => {
    const maxBudget = 3.5 * cost;
    const key = await generateKey(a, { max_budget: maxBudget });
    // max_tokens bounds each request's output exactly; its prompt is reserved at a token a byte
    // of the request, whatever it really costs.
    const request = { model: "priced", messages: QUESTION, max_tokens: tokens.completion };
    const reserved = promptBound(request).tokens * INPUT_COST + tokens.completion * OUTPUT_COST;
    const outcomes = await burst(key, 20, request);
    const served = outcomes.filter((o) => o.status === 200).length;
    expect(served).toBeLessThanOrEqual(Math.floor(maxBudget / cost) + 1);
    // Requests are admitted while what those in flight may cost is under the budget: even if all
    // twenty arrive before any ends, that many are served.
    expect(served).toBeGreaterThanOrEqual(Math.ceil(maxBudget / reserved));
    for (const refused of outcomes.filter((o) => o.status !== 200))
      expectRefusal(refused, 403, "budget_exceeded");

    // What the burst left, one request at a time on alternate replicas, until the budget is used up.
    let more = 0;
    for (let i = 0; i < 10; i++) {
      const outcome = await chat(i % 2 === 0 ? a : b, key, request);
      if (outcome.status !== 200) break;
      more += 1;
    }
    expect(served + more).toBe(Math.ceil(maxBudget / cost));

    // Every request served is billed (the spend logs of both replicas reach Postgres).
    const spendOf = async () => (await admin(b, `/key/info?key=${key}`)).body.info.spend as number;
    await waitFor(
      "spend written",
      async () => Math.abs((await spendOf()) - (served + more) * cost) < 1e-9,
      4_000,
      100,
    );
    expect(await spendOf()).toBeLessThanOrEqual(maxBudget + cost);
    for (const g of [a, b]) expectRefusal(await chat(g, key, request), 403, "budget_exceeded");
  });

  it("a team's max_budget stops its keys on every replica once used up", async () => {
    const teamId = `team-${runTag()}`;
    expect((await admin(a, "/team/new", { team_id: teamId, max_budget: 1.5 * cost })).status).toBe(200);
    const key = await generateKey(b, { team_id: teamId });
    const params = { model: "priced", messages: QUESTION, max_tokens: tokens.completion };
    const outcomes: ChatOutcome[] = [];
    for (const g of [a, b, a, b]) outcomes.push(await chat(g, key, params));
    expect(outcomes.map((o) => o.status)).toEqual([200, 200, 403, 403]);
    for (const refused of outcomes.slice(2)) {
      expectRefusal(refused, 403, "budget_exceeded");
      expect(refused.message).toContain(`team "${teamId}" budget exceeded`);
    }
    // Another key of the same team is refused too: the budget is the team's.
    const sibling = await generateKey(a, { team_id: teamId });
    expectRefusal(await chat(b, sibling, params), 403, "budget_exceeded");
  });

  it("a key's short budget window never shortens its team's: the team's spend holds on every replica", async () => {
    const teamId = `team-${runTag()}`;
    expect((await admin(a, "/team/new", { team_id: teamId, max_budget: 1.5 * cost })).status).toBe(200);
    const key = await generateKey(b, { team_id: teamId, max_budget: 100, budget_duration: "1s" });
    const params = { model: "priced", messages: QUESTION, max_tokens: tokens.completion };
    const outcomes: ChatOutcome[] = [];
    // Each request a key window apart, well inside the 5 s the replicas cache the team's spend.
    for (const g of [a, b, a, b]) {
      outcomes.push(await chat(g, key, params));
      await new Promise((resolve) => setTimeout(resolve, 1_100));
    }
    expect(outcomes.map((o) => o.status)).toEqual([200, 200, 403, 403]);
    expect(outcomes[2]?.message).toContain(`team "${teamId}" budget exceeded`);
  });
});

describe("what a dead replica held", () => {
  it("is freed request by request when its hold runs out, however busy the key stays", async () => {
    const { body } = await admin(a, "/key/generate", { max_parallel_requests: 2 });
    const key = body.key as string;
    // A third replica admits a request for the key and dies before finishing it.
    const kv = redisKv({ url: REDIS_URL });
    try {
      const dead = new Limiter({
        // Under the live replicas' prefix, as a replica of the same deployment would be.
        kv: prefixedKv(kv, DEFAULT_KV_PREFIX),
        logger: silentLogger,
        failMode: () => "closed",
        holdMs: 1_500,
      });
      await dead.admit(
        [
          {
            scope: "key",
            id: body.token as string,
            rpmLimit: undefined,
            tpmLimit: undefined,
            maxParallelRequests: 2,
            maxBudget: undefined,
            spend: 0,
            budgetResetAt: undefined,
          },
        ],
        { cost: 0, tokens: 0 },
      );
    } finally {
      await kv.close();
    }
    const started = Date.now();
    // Meanwhile the key is busy on both live replicas, one request at a time.
    while (Date.now() - started < 1_000) {
      expect((await chat(Date.now() % 2 === 0 ? a : b, key, { model: "priced" })).status).toBe(200);
    }
    // Two at once: the dead request still holds one of the two slots...
    expect(statusesOf(await burst(key, 2, { model: "slow" }))).toEqual([200, 429]);
    await waitFor(
      "the dead request's slot to be freed",
      async () => statusesOf(await burst(key, 2, { model: "slow" })).join() === "200,200",
      3_000,
      100,
    );
    // ...and nothing was renewed by the busy key: it ran out on its own, 1.5 s after admission.
    expect(Date.now() - started).toBeLessThan(3_000);
  });
});
