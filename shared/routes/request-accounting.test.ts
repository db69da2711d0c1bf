import type { Context } from "hono";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Principal } from "../auth/principal";
import type { GatewayEnv } from "../http/env";
import type { KeyContext } from "../keys/key-context";
import type { LimitSubject } from "../limits/subject";
import { deployment } from "../router/test-fixtures";
import type { SpendLogEntry } from "../spend/log-writer";
import { openAccounting } from "./request-accounting";

/**
 * What one request is admitted against and what it leaves behind (its limiter finish and its spend
 * row), on a stand-in context. The gateway tests in test/gateway run it behind the real routes.
 */

const subject = (scope: LimitSubject["scope"], id: string): LimitSubject => ({
  scope,
  id,
  rpmLimit: 10,
  tpmLimit: undefined,
  maxParallelRequests: undefined,
  maxBudget: undefined,
  spend: 0,
  budgetResetAt: undefined,
});

const KEY = subject("key", "h1");
const TEAM = subject("team", "t1");
const PROXY = subject("proxy", "proxy");

const virtualKey: Principal = {
  kind: "virtual_key",
  keyHash: "h1",
  context: {
    key: { teamId: "t1", userId: "u1" },
    subjects: [KEY, TEAM],
  } as unknown as KeyContext,
};

// $1 per 1k prompt tokens, $2 per 1k completion tokens.
const PRICED = deployment("openai/gpt", {
  provider: "openai",
  inputCostPerToken: 0.001,
  outputCostPerToken: 0.002,
});
const USAGE = { prompt_tokens: 100, completion_tokens: 50, total_tokens: 150 };

function setup(principal: Principal | undefined, proxyBudget?: number) {
  const vars: Record<string, unknown> = { principal, requestId: "client-req-1" };
  const admitted: Array<{ subjects: readonly LimitSubject[]; reservation: unknown }> = [];
  const finished: Array<[number, number]> = [];
  const rows: SpendLogEntry[] = [];
  const proxyAsked: number[] = [];
  vars.deps = {
    config: { current: () => ({ proxyBudget }) },
    proxyBudget: {
      subject: async (budget: number) => {
        proxyAsked.push(budget);
        return PROXY;
      },
    },
    limiter: {
      admit: async (subjects: readonly LimitSubject[], reservation: unknown) => {
        admitted.push({ subjects, reservation });
        return {
          finish: async (tokens: number, cost: number) => {
            finished.push([tokens, cost]);
          },
        };
      },
    },
    spendLog: { record: (entry: SpendLogEntry) => rows.push(entry) },
  };
  const c = {
    get: (name: string) => vars[name],
    set: (name: string, value: unknown) => {
      vars[name] = value;
    },
  } as unknown as Context<GatewayEnv>;
  return { c, vars, admitted, finished, rows, proxyAsked };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("openAccounting", () => {
  it("admits a virtual key against its subjects and the proxy budget, holding the reservation", async () => {
    const h = setup(virtualKey, 50);
    await openAccounting(h.c, "gpt", { cost: 0.5, tokens: 300 });
    expect(h.proxyAsked).toEqual([50]);
    expect(h.admitted).toEqual([{ subjects: [KEY, TEAM, PROXY], reservation: { cost: 0.5, tokens: 300 } }]);
    // The key's own list is left as it was.
    expect(virtualKey.kind === "virtual_key" && virtualKey.context.subjects).toEqual([KEY, TEAM]);
  });

  it("never refuses the master key by the proxy budget, and asks nothing of an open caller without one", async () => {
    const master = setup({ kind: "master" }, 50);
    const accounting = await openAccounting(master.c, "gpt", { cost: 1, tokens: 1 });
    expect(master.proxyAsked).toEqual([]);
    expect(master.admitted).toEqual([]);
    accounting.succeeded(PRICED, USAGE);
    // Still logged, and its cost still counts toward the proxy's spend.
    expect(master.rows).toHaveLength(1);
    expect(master.rows[0]?.spend).toBeCloseTo(0.2, 12);

    const open = setup({ kind: "open" });
    await openAccounting(open.c, "gpt", { cost: 1, tokens: 1 });
    expect(open.admitted).toEqual([]);

    const anyone = setup({ kind: "open" }, 50);
    await openAccounting(anyone.c, "gpt", { cost: 1, tokens: 1 });
    expect(anyone.admitted).toEqual([{ subjects: [PROXY], reservation: { cost: 1, tokens: 1 } }]);
  });

  it("records a success once: its tokens and cost to the limiter, one row with who, what and when", async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: Date.UTC(2026, 10, 29, 12) });
    const h = setup(virtualKey);
    const accounting = await openAccounting(h.c, "gpt", { cost: 1, tokens: 1 });
    const accounted = h.vars.accounted as Promise<void>;
    let settled = false;
    void accounted.then(() => {
      settled = true;
    });
    accounting.annotate({ route: "learned" });
    accounting.annotate({ choice: "a" });
    vi.setSystemTime(Date.UTC(2026, 10, 29, 12, 0, 2));
    await Promise.resolve();
    expect(settled).toBe(false);
    accounting.succeeded(PRICED, USAGE);
    accounting.succeeded(PRICED, USAGE);
    accounting.failed(500);
    accounting.cached();
    await accounted;
    expect(h.finished).toHaveLength(1);
    expect(h.finished[0]?.[0]).toBe(150);
    expect(h.finished[0]?.[1]).toBeCloseTo(0.2, 12);
    expect(h.vars.usage).toEqual(USAGE);
    expect(h.rows).toHaveLength(1);
    const row = h.rows[0] as SpendLogEntry;
    expect(row.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(row).toEqual({
      requestId: row.requestId,
      keyHash: "h1",
      teamId: "t1",
      userId: "u1",
      modelGroup: "gpt",
      deployment: "openai/gpt",
      provider: "openai",
      status: 200,
      promptTokens: 100,
      completionTokens: 50,
      totalTokens: 150,
      spend: row.spend,
      cacheHit: false,
      startedAt: new Date(Date.UTC(2026, 10, 29, 12)),
      endedAt: new Date(Date.UTC(2026, 10, 29, 12, 0, 2)),
      metadata: { route: "learned", choice: "a", request_id: "client-req-1" },
    });
  });

  it("gives every row its own id, whatever the client's request id", async () => {
    const a = setup(virtualKey);
    (await openAccounting(a.c, "gpt", { cost: 0, tokens: 0 })).cached();
    const b = setup(virtualKey);
    (await openAccounting(b.c, "gpt", { cost: 0, tokens: 0 })).cached();
    expect(a.rows[0]?.requestId).not.toBe(b.rows[0]?.requestId);
  });

  it("logs a cache hit at no cost, and frees what the request held", async () => {
    const h = setup(virtualKey);
    (await openAccounting(h.c, "gpt", { cost: 1, tokens: 1 })).cached();
    expect(h.finished).toEqual([[0, 0]]);
    expect(h.rows[0]).toMatchObject({
      status: 200,
      cacheHit: true,
      deployment: undefined,
      provider: undefined,
      spend: 0,
      totalTokens: 0,
    });
    expect(h.vars.usage).toBeUndefined();
  });

  it("charges a failure what it consumed at its deployment's price, and nothing without usage", async () => {
    const cut = setup(virtualKey);
    (await openAccounting(cut.c, "gpt", { cost: 1, tokens: 1 })).failed(502, PRICED, USAGE);
    expect(cut.rows[0]).toMatchObject({
      status: 502,
      deployment: "openai/gpt",
      promptTokens: 100,
      cacheHit: false,
    });
    expect(cut.rows[0]?.spend).toBeCloseTo(0.2, 12);

    const refused = setup(virtualKey);
    (await openAccounting(refused.c, "gpt", { cost: 1, tokens: 1 })).failed(429, PRICED);
    expect(refused.rows[0]).toMatchObject({ status: 429, spend: 0, totalTokens: 0, completionTokens: 0 });
    expect(refused.finished).toEqual([[0, 0]]);

    const early = setup(virtualKey);
    (await openAccounting(early.c, "gpt", { cost: 1, tokens: 1 })).failed(400, undefined, USAGE);
    expect(early.rows[0]?.spend).toBe(0);
  });

  it("accounts a request no one authenticated, against the proxy budget alone", async () => {
    const h = setup(undefined, 50);
    (await openAccounting(h.c, "gpt", { cost: 1, tokens: 1 })).failed(500);
    expect(h.admitted).toEqual([{ subjects: [PROXY], reservation: { cost: 1, tokens: 1 } }]);
    expect(h.rows[0]).toMatchObject({ keyHash: undefined, status: 500 });
  });

  it("logs a key without team or user with neither", async () => {
    const bare: Principal = {
      kind: "virtual_key",
      keyHash: "h2",
      context: { key: { teamId: null, userId: null }, subjects: [] } as unknown as KeyContext,
    };
    const h = setup(bare);
    (await openAccounting(h.c, "gpt", { cost: 1, tokens: 1 })).cached();
    expect(h.admitted).toEqual([]);
    expect(h.rows[0]).toMatchObject({ keyHash: "h2", teamId: undefined, userId: undefined });
    const master = setup({ kind: "master" });
    (await openAccounting(master.c, "gpt", { cost: 1, tokens: 1 })).cached();
    expect(master.rows[0]).toMatchObject({ keyHash: undefined, teamId: undefined, userId: undefined });
  });
});
