import { describe, expect, it } from "vitest";
import { limitSubject } from "../../test/support/limit-subject";
import { GatewayError } from "../errors";
import type { Logger } from "../logging/logger";
import { MemoryKv } from "../store/kv/memory";
import type { Kv } from "../store/kv/port";
import type { KvScript } from "../store/kv/script";
import { type Admission, Limiter, type Reservation } from "./limiter";
import type { LimitSubject } from "./subject";

/**
 * The limiter's answers on the memory store, whose clock the tests move: exact retry-after values,
 * windows that reset, and requests that count against several subjects at once. The same scripts'
 * Lua runs against Redis in test/integration (limiter.test.ts, limit-scripts-differential.test.ts).
 */

const START = Date.UTC(2026, 10, 29, 12);

const subject = limitSubject;

function harness(
  options: { holdMs?: number; failMode?: "open" | "closed"; kv?: Kv; perSubject?: boolean } = {},
) {
  let now = START;
  const kv = options.kv ?? new MemoryKv({ now: () => now });
  const warnings: Array<[string, unknown]> = [];
  const failures: unknown[] = [];
  const logger: Logger = {
    debug: () => {},
    info: () => {},
    warn: (message, fields) => warnings.push([message, fields]),
    error: () => {},
  };
  const limiter = new Limiter({
    kv,
    logger,
    failMode: () => options.failMode ?? "closed",
    holdMs: options.holdMs,
    perSubject: options.perSubject,
    onKvFailure: (error) => failures.push(error),
  });
  const refusal = (subjects: LimitSubject[], reservation: Reservation = FREE) =>
    limiter.admit(subjects, reservation).then(
      () => undefined,
      (error: unknown) => {
        if (!(error instanceof GatewayError)) throw error;
        return error;
      },
    );
  return {
    kv,
    limiter,
    warnings,
    failures,
    refusal,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

const FREE: Reservation = { cost: 0, tokens: 0 };

describe("Limiter: rate limits", () => {
  it("tells a client refused by rpm exactly when the window opens again, and admits it then", async () => {
    const h = harness();
    const key = subject("key", "k", { rpmLimit: 2 });
    await h.limiter.admit([key], FREE);
    h.advance(15_000);
    await h.limiter.admit([key], FREE);
    h.advance(5_500);
    const error = await h.refusal([key]);
    expect(error?.status).toBe(429);
    expect(error?.type).toBe("rate_limit_error");
    expect(error?.code).toBe("rpm_limit_exceeded");
    // The window opened with the first request: 60 s - 20.5 s, rounded up.
    expect(error?.headers["retry-after"]).toBe("40");
    expect(error?.message).toBe("key rpm limit of 2 reached; retry in 40s");
    h.advance(39_499);
    expect((await h.refusal([key]))?.headers["retry-after"]).toBe("1");
    h.advance(1);
    expect(await h.refusal([key])).toBeUndefined();
    expect(await h.refusal([key])).toBeUndefined();
    expect((await h.refusal([key]))?.code).toBe("rpm_limit_exceeded");
  });

  it("counts tokens used in the window and reserved in flight against tpm, per subject", async () => {
    const h = harness();
    const team = subject("team", "t", { tpmLimit: 100 });
    const other = subject("team", "u", { tpmLimit: 100 });
    const a = await h.limiter.admit([team], { cost: 0, tokens: 60 });
    // 60 reserved of 100: one more is admitted, reserving 60 more; then the team is full.
    const b = await h.limiter.admit([team], { cost: 0, tokens: 60 });
    const full = await h.refusal([team]);
    expect(full?.code).toBe("tpm_limit_exceeded");
    expect(full?.message).toBe("team tpm limit of 100 reached; retry in 1s");
    // Another team's tpm is its own.
    expect(await h.refusal([other], { cost: 0, tokens: 60 })).toBeUndefined();
    await a.finish(30, 0);
    await b.finish(80, 0);
    h.advance(10_000);
    // 110 used in the window that opened with the first finish: refused until it closes.
    const used = await h.refusal([team]);
    expect(used?.headers["retry-after"]).toBe("50");
    h.advance(50_000);
    expect(await h.refusal([team], { cost: 0, tokens: 99 })).toBeUndefined();
  });

  it("refuses tpm at exactly the limit, reserved or used, until the window that holds it closes", async () => {
    const h = harness();
    const team = subject("team", "t", { tpmLimit: 100 });
    const a = await h.limiter.admit([team], { cost: 0, tokens: 100 });
    expect((await h.refusal([team]))?.headers["retry-after"]).toBe("1");
    await a.finish(100, 0);
    h.advance(10_000);
    // Used, not reserved: the client is told when the window closes.
    expect((await h.refusal([team]))?.headers["retry-after"]).toBe("50");
  });

  it("starts a tpm window with the first finish that used tokens, at the window's end exactly", async () => {
    const h = harness();
    const team = subject("team", "t", { tpmLimit: 50 });
    const finish = async (tokens: number) => (await h.limiter.admit([team], FREE)).finish(tokens, 0);
    await finish(50);
    h.advance(60_000);
    // The first window has closed: these 50 tokens open the next one, now.
    await finish(50);
    expect((await h.refusal([team]))?.headers["retry-after"]).toBe("60");
    h.advance(60_000);
    // A finish that used nothing opens no window: the next one starts with the tokens 30 s later.
    await finish(0);
    h.advance(30_000);
    await finish(50);
    expect((await h.refusal([team]))?.headers["retry-after"]).toBe("60");
  });

  it("holds a parallel slot until the request finishes, or until its hold runs out", async () => {
    const h = harness({ holdMs: 30_000 });
    const user = subject("user", "u", { maxParallelRequests: 1 });
    const first = await h.limiter.admit([user], FREE);
    const busy = await h.refusal([user]);
    expect(busy?.code).toBe("parallel_limit_exceeded");
    expect(busy?.message).toBe("user parallel request limit of 1 reached; retry in 1s");
    expect(busy?.headers["retry-after"]).toBe("1");
    await first.finish(0, 0);
    const second = await h.limiter.admit([user], FREE);
    h.advance(29_999);
    expect((await h.refusal([user]))?.code).toBe("parallel_limit_exceeded");
    h.advance(1);
    expect(await h.refusal([user])).toBeUndefined();
    await second.finish(0, 0);
  });

  it("holds a request's reservation for 10 minutes unless told otherwise", async () => {
    const h = harness();
    const user = subject("user", "u", { maxParallelRequests: 1 });
    await h.limiter.admit([user], FREE);
    h.advance(10 * 60_000 - 1);
    expect((await h.refusal([user]))?.code).toBe("parallel_limit_exceeded");
    h.advance(1);
    expect(await h.refusal([user])).toBeUndefined();
  });

  it("refuses on whichever subject is at its limit, and names it; a refusal counts nowhere", async () => {
    const h = harness();
    const key = subject("key", "k", { maxBudget: 1, spend: 0 });
    const team = subject("team", "t", { rpmLimit: 1 });
    await h.limiter.admit([key, team], { cost: 0.25, tokens: 0 });
    const byTeam = await h.refusal([key, team], { cost: 0.25, tokens: 0 });
    expect(byTeam?.message).toBe("team rpm limit of 1 reached; retry in 60s");
    // The refusal reserved nothing on the key: three more quarters fit its $1 budget.
    for (let i = 0; i < 3; i++) await h.limiter.admit([key], { cost: 0.25, tokens: 0 });
    const byKey = await h.refusal([key, team], { cost: 0.25, tokens: 0 });
    expect(byKey?.status).toBe(403);
    expect(byKey?.code).toBe("budget_exceeded");
    expect(byKey?.message).toBe("key budget exceeded: spent $1.000000 of max_budget $1");
  });

  it("lets subjects without limits through without touching the store", async () => {
    const h = harness({ kv: new MemoryKv() });
    await h.kv.close();
    const admission = await h.limiter.admit([subject("key", "k"), subject("team", "t")], FREE);
    await admission.finish(10, 1);
    expect(h.failures).toEqual([]);
  });
});

describe("Limiter: budgets", () => {
  it("names a team or user whose budget ran out, with what it spent and when its window resets", async () => {
    const h = harness();
    const resets = new Date(START + 86_400_000);
    const team = subject("team", "research", { maxBudget: 2, spend: 2.5, budgetResetAt: resets });
    const error = await h.refusal([team]);
    expect(error?.status).toBe(403);
    expect(error?.message).toBe(
      `team "research" budget exceeded: spent $2.500000 of max_budget $2; resets at ${resets.toISOString()}`,
    );
  });

  it("does not tell callers the gateway-wide budget's figures", async () => {
    const h = harness();
    const proxy = subject("proxy", "proxy", { maxBudget: 10, spend: 10 });
    const error = await h.refusal([proxy]);
    expect(error?.code).toBe("budget_exceeded");
    expect(error?.message).toBe("the gateway's budget (litellm_settings.max_budget) is spent");
  });

  it("charges what a request used when it finishes, once, and releases what it reserved", async () => {
    const h = harness();
    const key = subject("key", "k", { maxBudget: 1 });
    const a = await h.limiter.admit([key], { cost: 0.75, tokens: 0 });
    const b = await h.limiter.admit([key], { cost: 0.25, tokens: 0 });
    expect((await h.refusal([key]))?.message).toBe("key budget exceeded: spent $1.000000 of max_budget $1");
    // a used $0.50 of the $0.75 it reserved; finishing it again charges nothing more.
    await Promise.all([a.finish(0, 0.5), a.finish(0, 0.5)]);
    await a.finish(0, 0.5);
    expect(await h.refusal([key])).toBeUndefined();
    await b.finish(0, 0.5);
    expect((await h.refusal([key]))?.message).toBe("key budget exceeded: spent $1.000000 of max_budget $1");
  });

  it("starts a new budget window from Postgres's figure", async () => {
    const h = harness();
    const first = subject("key", "k", { maxBudget: 0.75, budgetResetAt: new Date(START + 1_000) });
    const a = await h.limiter.admit([first], FREE);
    await a.finish(0, 1);
    expect((await h.refusal([first]))?.code).toBe("budget_exceeded");
    const next = { ...first, spend: 0.25, budgetResetAt: new Date(START + 2_000) };
    expect(await h.refusal([next], { cost: 0.5, tokens: 0 })).toBeUndefined();
    expect((await h.refusal([next]))?.message).toBe(
      `key budget exceeded: spent $0.750000 of max_budget $0.75; resets at ${new Date(START + 2_000).toISOString()}`,
    );
  });

  it("starts again from Postgres after an operator resets the spend", async () => {
    const h = harness();
    const key = subject("key", "k", { maxBudget: 1 });
    await (await h.limiter.admit([key], FREE)).finish(0, 1);
    expect((await h.refusal([key]))?.code).toBe("budget_exceeded");
    await h.limiter.resetSpend([key]);
    await h.limiter.resetSpend([]);
    expect(await h.refusal([key])).toBeUndefined();
  });

  it("reserves nothing for a cost or token count of minus infinity", async () => {
    const h = harness();
    const key = subject("key", "k", { maxBudget: 5, tpmLimit: 10 });
    await h.limiter.admit([key], { cost: Number.NEGATIVE_INFINITY, tokens: Number.NEGATIVE_INFINITY });
    expect(await h.refusal([key], { cost: 4.5, tokens: 9 })).toBeUndefined();
  });

  it("caps absurd reservations and usage instead of breaking the arithmetic", async () => {
    const h = harness();
    const key = subject("key", "k", { maxBudget: 5, tpmLimit: 1e15 });
    const huge = await h.refusal([key], { cost: Number.POSITIVE_INFINITY, tokens: Number.NaN });
    expect(huge).toBeUndefined();
    // The first reserved the cap ($1e9): every further request is over the budget.
    expect((await h.refusal([key], { cost: -3, tokens: -1 }))?.message).toBe(
      "key budget exceeded: spent $1000000000.000000 of max_budget $5",
    );
  });
});

describe("Limiter: the store failing", () => {
  const broken = (): Kv => {
    const kv = new MemoryKv();
    void kv.close();
    return kv;
  };

  it("fails open when told to: served, reported, and logged", async () => {
    const h = harness({ kv: broken(), failMode: "open" });
    const admission: Admission = await h.limiter.admit([subject("key", "k", { rpmLimit: 1 })], FREE);
    await admission.finish(1, 1);
    expect(h.failures).toHaveLength(1);
    expect(h.warnings).toEqual([
      ["limits store unreachable; serving without rate limits (fail open)", { error: "kv store is closed" }],
    ]);
  });

  it("fails closed when told to: 503 with retry-after 1", async () => {
    const h = harness({ kv: broken(), failMode: "closed" });
    const error = await h.refusal([subject("key", "k", { rpmLimit: 1 })]);
    expect(error?.status).toBe(503);
    expect(error?.type).toBe("service_unavailable_error");
    expect(error?.code).toBe("limits_unavailable");
    expect(error?.message).toBe("rate-limit store is unreachable and limits fail closed; retry shortly");
    expect(error?.headers["retry-after"]).toBe("1");
    expect(h.failures).toHaveLength(1);
  });

  it("reports a finish the store failed, and drain waits for finishes under way", async () => {
    const kv = new MemoryKv();
    const h = harness({ kv });
    const admission = await h.limiter.admit([subject("key", "k", { rpmLimit: 5 })], FREE);
    await kv.close();
    const finishing = admission.finish(1, 0);
    await h.limiter.drain();
    expect(h.failures).toHaveLength(1);
    // Reported, never thrown: the request's answer does not depend on it.
    await finishing;
  });
});

describe("Limiter: a reply lost after the script ran", () => {
  it("gives back the parallel slot the lost admission took, instead of holding it for holdMs", async () => {
    let now = START;
    const memory = new MemoryKv({ now: () => now });
    let loseNextAdmitReply = true;
    const kv: Kv = {
      ...failing(memory, () => false),
      run: async (script, keys, args) => {
        const reply = await memory.run(script, keys, args);
        if (script.name.startsWith("routeiq_admit") && loseNextAdmitReply) {
          loseNextAdmitReply = false;
          throw new Error("Command timed out");
        }
        return reply;
      },
    };
    const h = harness({ kv, failMode: "closed", holdMs: 600_000 });
    const key = subject("key", "k", { maxParallelRequests: 1 });
    expect((await h.refusal([key]))?.status).toBe(503);
    now += 1_000;
    const admission = await h.limiter.admit([key], FREE);
    await admission.finish(0, 0);
  });
});

/** `kv` whose script calls fail while `fails(script name, first key)` says so. */
function failing(kv: Kv, fails: (script: string, key: string) => boolean): Kv {
  return {
    clustered: kv.clustered,
    get: (key) => kv.get(key),
    set: (key, value, ttlMs) => kv.set(key, value, ttlMs),
    del: (key) => kv.del(key),
    run: (script, keys, args) =>
      fails(script.name, keys[0] ?? "")
        ? Promise.reject(new Error(`${script.name} failed`))
        : kv.run(script, keys, args),
    publish: (channel, message) => kv.publish(channel, message),
    subscribe: (channel, onMessage) => kv.subscribe(channel, onMessage),
    ping: (signal) => kv.ping(signal),
    close: () => kv.close(),
  };
}

describe("Limiter: one subject at a time (a Redis Cluster)", () => {
  it("is what a clustered store gets unless told otherwise", async () => {
    const calls: string[] = [];
    const memory = new MemoryKv();
    const kv: Kv = {
      ...failing(memory, (script) => {
        calls.push(script);
        return false;
      }),
      clustered: true,
    };
    const h = harness({ kv });
    await h.limiter.admit(
      [subject("key", "k", { rpmLimit: 1 }), subject("team", "t", { rpmLimit: 1 })],
      FREE,
    );
    expect(calls).toEqual(["routeiq_admit_v3", "routeiq_admit_v3"]);
  });

  it("gives back what the key took when the team cannot be asked, then fails closed", async () => {
    let broken = true;
    const kv = failing(
      new MemoryKv(),
      (script, key) => broken && script === "routeiq_admit_v3" && key.includes("team"),
    );
    const h = harness({ kv, perSubject: true });
    const key = subject("key", "k", { maxParallelRequests: 1, rpmLimit: 1 });
    const team = subject("team", "t", { rpmLimit: 5 });
    expect((await h.refusal([key, team]))?.code).toBe("limits_unavailable");
    expect(h.failures).toEqual([new Error("routeiq_admit_v3 failed")]);
    broken = false;
    // The key's one slot and one request this minute are still there.
    expect(await h.refusal([key, team])).toBeUndefined();
  });

  it("reports an undo that fails and still answers the refusal; the hold then runs out", async () => {
    let now = START;
    const kv = failing(new MemoryKv({ now: () => now }), (script) => script === "routeiq_undo_admit_v1");
    const h = harness({ kv, perSubject: true, holdMs: 1_000 });
    const key = subject("key", "k", { maxParallelRequests: 1 });
    const user = subject("user", "u", { maxParallelRequests: 1 });
    await h.limiter.admit([user], FREE);
    expect((await h.refusal([key, user]))?.code).toBe("parallel_limit_exceeded");
    expect(h.failures).toEqual([new Error("routeiq_undo_admit_v1 failed")]);
    expect((await h.refusal([key]))?.code).toBe("parallel_limit_exceeded");
    now += 1_000;
    expect(await h.refusal([key])).toBeUndefined();
  });
});

describe("Limiter: what it asks of the store", () => {
  /** The memory store, with every script call it is given, and finishes held until released. */
  function recording() {
    const kv = new MemoryKv({ now: () => START });
    const calls: Array<{ script: string; keys: readonly string[]; args: readonly (string | number)[] }> = [];
    const held: Array<() => void> = [];
    const recorder: Kv = Object.assign(Object.create(kv) as Kv, {
      run: async <R>(script: KvScript<R>, keys: readonly string[], args: readonly (string | number)[]) => {
        calls.push({ script: script.name, keys, args });
        if (script.name.startsWith("routeiq_finish"))
          await new Promise<void>((resolve) => held.push(resolve));
        return kv.run(script, keys, args);
      },
    });
    return { kv: recorder, calls, held };
  }

  it("keeps each subject's counters under its own keys, and sends each subject's figures", async () => {
    const r = recording();
    const h = harness({ kv: r.kv });
    const resets = new Date(START + 3_600_000);
    const key = subject("key", "k", { maxBudget: 2, spend: 0.5, rpmLimit: 3 });
    const team = subject("team", "t", {
      tpmLimit: 40,
      maxParallelRequests: 2,
      budgetResetAt: resets,
      maxBudget: 9,
    });
    await h.limiter.admit([key, subject("user", "free"), team], { cost: 0.25, tokens: 12.2 });
    expect(r.calls).toEqual([
      {
        script: "routeiq_admit_v3",
        keys: [
          "lim:{key:k}:s",
          "lim:{key:k}:fl",
          "lim:{key:k}:fr",
          "lim:{team:t}:s",
          "lim:{team:t}:fl",
          "lim:{team:t}:fr",
        ],
        args: [
          2,
          expect.stringMatching(/^[0-9a-f-]{36}$/),
          0.25,
          13,
          10 * 60_000,
          60_000,
          ...[2, 0.5, "all", 3, 0, 0],
          ...[9, 0, String(resets.getTime()), 0, 40, 2],
        ],
      },
    ]);
  });

  it("asks nothing of the store to reset no subjects, and resets only the state keys of some", async () => {
    const r = recording();
    const h = harness({ kv: r.kv });
    await h.limiter.resetSpend([]);
    expect(r.calls).toEqual([]);
    await h.limiter.resetSpend([subject("key", "k"), subject("team", "t")]);
    expect(r.calls).toEqual([
      { script: "routeiq_reset_spend_v1", keys: ["lim:{key:k}:s", "lim:{team:t}:s"], args: [] },
    ]);
  });

  it("drain waits for the finishes still under way", async () => {
    const r = recording();
    const h = harness({ kv: r.kv });
    const admission = await h.limiter.admit([subject("key", "k", { rpmLimit: 5 })], FREE);
    void admission.finish(3, 0);
    let drained = false;
    const draining = h.limiter.drain().then(() => {
      drained = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(drained).toBe(false);
    for (const release of r.held.splice(0)) release();
    await draining;
    expect(drained).toBe(true);
  });
});
