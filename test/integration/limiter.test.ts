import { afterAll, afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../shared/config/load";
import { GatewayError } from "../../shared/errors";
import { Limiter, type Reservation } from "../../shared/limits/limiter";
import type { LimitSubject } from "../../shared/limits/subject";
import { silentLogger } from "../../shared/logging/logger";
import { MemoryKv } from "../../shared/store/kv/memory";
import type { Kv } from "../../shared/store/kv/port";
import { redisKv } from "../../shared/store/kv/redis";
import { limitSubject } from "../support/limit-subject";
import { deleteTestKeys, testKeyPrefix } from "../support/redis-keys";
import { REDIS_URL, requireRedis } from "../support/replicas";
import { testUpstash } from "../support/upstash";

const run = Math.random().toString(36).slice(2, 8);
// The limiter's keys never expire: this run's are deleted at its end, or swept by a later run.
const PREFIX = testKeyPrefix("limiter");
let counter = 0;

function subject(overrides: Partial<LimitSubject> = {}): LimitSubject {
  counter += 1;
  return limitSubject("key", `limiter-${run}-${counter}`, overrides);
}

const costing = (cost: number, tokens = 0): Reservation => ({ cost, tokens });
const FREE = costing(0);

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => (error instanceof GatewayError ? error : undefined),
  );

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const stores: Array<[string, () => Promise<Kv>]> = [
  ["memory", async () => new MemoryKv()],
  [
    "redis",
    async () => {
      await requireRedis();
      return redisKv({ url: REDIS_URL });
    },
  ],
  ["upstash", () => upstash.open()],
];
const upstash = testUpstash();
const opened: Kv[] = [];

afterAll(async () => {
  await Promise.all(opened.map((kv) => kv.close()));
  await upstash.close();
  await deleteTestKeys(REDIS_URL, PREFIX);
});

describe.each(stores)("Limiter on %s", (_name, open) => {
  // A script error must fail the test, not vanish into fail-open.
  let storeFailures: unknown[] = [];
  afterEach(() => {
    expect(storeFailures).toEqual([]);
    storeFailures = [];
  });
  const limiter = async (options: { failMode?: "open" | "closed"; holdMs?: number; kv?: Kv } = {}) => {
    const kv = options.kv ?? (await open());
    opened.push(kv);
    return new Limiter({
      kv,
      logger: silentLogger,
      failMode: () => options.failMode ?? "open",
      holdMs: options.holdMs,
      prefix: PREFIX,
      onKvFailure: (error) => storeFailures.push(error),
    });
  };

  it("refuses the request past rpm_limit with 429 and a retry-after within the minute", async () => {
    const l = await limiter();
    const s = subject({ rpmLimit: 2 });
    await l.admit([s], FREE);
    await l.admit([s], FREE);
    const error = await refusal(l.admit([s], FREE));
    expect(error?.status).toBe(429);
    expect(error?.code).toBe("rpm_limit_exceeded");
    // The window opened with the first request, moments ago (10 s of slack for a loaded machine).
    expect(Number(error?.headers["retry-after"])).toBeGreaterThanOrEqual(50);
    expect(Number(error?.headers["retry-after"])).toBeLessThanOrEqual(60);
  });

  it("holds a parallel slot until the request finishes", async () => {
    const l = await limiter();
    const s = subject({ maxParallelRequests: 1 });
    const first = await l.admit([s], FREE);
    expect((await refusal(l.admit([s], FREE)))?.code).toBe("parallel_limit_exceeded");
    await first.finish(0, 0);
    await expect(l.admit([s], FREE)).resolves.toBeTruthy();
  });

  it("counts tokens when a request finishes and refuses once tpm_limit is reached", async () => {
    const l = await limiter();
    const s = subject({ tpmLimit: 10 });
    await (await l.admit([s], FREE)).finish(15, 0);
    expect((await refusal(l.admit([s], FREE)))?.code).toBe("tpm_limit_exceeded");
  });

  it("reserves tokens at admission: concurrent requests cannot all pass a tpm limit before any finishes", async () => {
    const l = await limiter();
    const s = subject({ tpmLimit: 100 });
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, () => refusal(l.admit([s], costing(0, 105)))),
    );
    // The first reserves 105 tokens of 100; every other one sees the reservation.
    expect(outcomes.filter((e) => e === undefined)).toHaveLength(1);
    expect(outcomes.filter((e) => e?.code === "tpm_limit_exceeded")).toHaveLength(19);
  });

  it("settles a tpm reservation to what the request used", async () => {
    const l = await limiter();
    const s = subject({ tpmLimit: 100 });
    await (await l.admit([s], costing(0, 90))).finish(10, 0);
    // 10 used of 100: a request reserving 95 more is admitted, and then nothing is.
    const second = await l.admit([s], costing(0, 95));
    expect((await refusal(l.admit([s], costing(0, 5))))?.code).toBe("tpm_limit_exceeded");
    await second.finish(20, 0);
    await expect(l.admit([s], costing(0, 5))).resolves.toBeTruthy();
  });

  it("admits while spend plus reservations is under the budget, so concurrency overshoots by at most one request", async () => {
    const l = await limiter();
    const s = subject({ maxBudget: 1 });
    const admitted = await Promise.all([
      l.admit([s], costing(0.4)),
      l.admit([s], costing(0.4)),
      l.admit([s], costing(0.4)),
    ]);
    const error = await refusal(l.admit([s], costing(0.4)));
    expect(error?.status).toBe(403);
    expect(error?.code).toBe("budget_exceeded");
    // Real costs come in lower than reserved: the budget has room again.
    await Promise.all(admitted.map((a) => a.finish(0, 0.3)));
    await expect(l.admit([s], costing(0.4))).resolves.toBeTruthy();
    expect((await refusal(l.admit([s], costing(0.4))))?.code).toBe("budget_exceeded");
  });

  it("seeds the live spend from Postgres's figure and names the team whose budget ran out", async () => {
    const l = await limiter();
    const key = subject();
    const team = subject({ scope: "team", maxBudget: 5, spend: 5 });
    const error = await refusal(l.admit([key, team], costing(0.1)));
    expect(error?.code).toBe("budget_exceeded");
    expect(error?.message).toContain(`team "${team.id}"`);
  });

  it("keeps the larger of its live spend and Postgres's, so nothing is counted twice or lost", async () => {
    const l = await limiter();
    const s = subject({ maxBudget: 1, spend: 0.2 });
    // Spend recorded here (0.5) that Postgres has not caught up with yet (it still says 0.2).
    await (await l.admit([s], costing(0.1))).finish(0, 0.5);
    const held = await l.admit([s], costing(0.4));
    expect((await refusal(l.admit([s], costing(0.1))))?.code).toBe("budget_exceeded");
    await held.finish(0, 0);
    // Postgres went past the live figure (spend written by another path): its figure wins, once.
    const later = { ...s, spend: 1.2 };
    expect((await refusal(l.admit([later], costing(0.01))))?.message).toContain("spent $1.200000");
  });

  it("starts a budget window from Postgres's figure, dropping the previous window's live spend", async () => {
    const l = await limiter();
    const s = subject({ maxBudget: 1, spend: 0.9, budgetResetAt: new Date(Date.now() + 60_000) });
    await (await l.admit([s], costing(0.1))).finish(0, 0.2);
    expect((await refusal(l.admit([s], costing(0.1))))?.code).toBe("budget_exceeded");
    const next = { ...s, spend: 0, budgetResetAt: new Date(Date.now() + 120_000) };
    await expect(l.admit([next], costing(0.1))).resolves.toBeTruthy();
  });

  it("keeps each subject's budget window to itself: a key's short window never resets its team's", async () => {
    const l = await limiter();
    const team = subject({ scope: "team", maxBudget: 1, budgetResetAt: new Date(Date.now() + 86_400_000) });
    const key = subject({ maxBudget: 10, budgetResetAt: new Date(Date.now() + 1_000) });
    await (await l.admit([key, team], costing(0.1))).finish(0, 0.6);
    // The key's window rolls over; the team's does not, and keeps its spend (Postgres has not
    // caught up: the subjects still say 0).
    await sleep(1_100);
    const rolled = { ...key, spend: 0, budgetResetAt: new Date(Date.now() + 2_000) };
    await (await l.admit([rolled, team], costing(0.1))).finish(0, 0.6);
    const error = await refusal(l.admit([rolled, team], costing(0.1)));
    expect(error?.code).toBe("budget_exceeded");
    expect(error?.message).toContain(`team "${team.id}"`);
  });

  it("frees each request's hold on its own once it expires, however busy the key stays", async () => {
    const l = await limiter({ holdMs: 600 });
    const s = subject({ maxParallelRequests: 2 });
    // A replica admits a request and dies: nobody will ever finish it.
    await l.admit([s], FREE);
    // Meanwhile the key keeps being used through its other slot.
    for (let i = 0; i < 2; i++) {
      await (await l.admit([s], FREE)).finish(0, 0);
      await sleep(100);
    }
    const busy = await l.admit([s], FREE);
    expect((await refusal(l.admit([s], FREE)))?.code).toBe("parallel_limit_exceeded");
    await sleep(450);
    // The dead request's slot is free again; the live one still holds its own.
    await expect(l.admit([s], FREE)).resolves.toBeTruthy();
    await busy.finish(0, 0);
  });

  it("frees a dead request's budget reservation when its hold expires", async () => {
    const l = await limiter({ holdMs: 300 });
    const s = subject({ maxBudget: 1 });
    await l.admit([s], costing(1));
    expect((await refusal(l.admit([s], costing(0.1))))?.code).toBe("budget_exceeded");
    await sleep(350);
    await expect(l.admit([s], costing(0.1))).resolves.toBeTruthy();
  });

  it("drops the live spend when an operator resets it, so the next request starts from Postgres", async () => {
    const l = await limiter();
    const s = subject({ maxBudget: 1 });
    await (await l.admit([s], costing(0.1))).finish(0, 2);
    expect((await refusal(l.admit([s], costing(0.1))))?.code).toBe("budget_exceeded");
    await l.resetSpend([s]);
    await expect(l.admit([s], costing(0.1))).resolves.toBeTruthy();
  });

  it("consumes nothing when it refuses: a budget refusal does not count toward rpm", async () => {
    const l = await limiter();
    const s = subject({ rpmLimit: 1, maxBudget: 1, spend: 2 });
    expect((await refusal(l.admit([s], FREE)))?.code).toBe("budget_exceeded");
    const fresh = { ...s, maxBudget: undefined };
    await expect(l.admit([fresh], FREE)).resolves.toBeTruthy();
  });

  it("caps absurd reservations instead of failing the script (which would fail open)", async () => {
    const l = await limiter({ failMode: "closed" });
    const s = subject({ maxBudget: 1, tpmLimit: 1_000 });
    const error = await refusal(l.admit([s], costing(1e300, 1e300)));
    expect(error).toBeUndefined();
    expect((await refusal(l.admit([s], costing(0, 1))))?.code).toBe("budget_exceeded");
  });

  it("lets a subject without limits through without touching the store", async () => {
    const kv = await open();
    await kv.close();
    const l = await limiter({ failMode: "closed", kv });
    await expect(l.admit([subject()], costing(1))).resolves.toBeTruthy();
  });
});

describe("Limiter with the store down", () => {
  const down = () => redisKv({ url: "redis://127.0.0.1:1", commandTimeoutMs: 200, onError: () => {} });

  it("fails open by default: the request is served and the failure reported", async () => {
    const kv = down();
    opened.push(kv);
    const failures: unknown[] = [];
    const { rateLimitFailMode } = loadConfig(JSON.stringify({ model_list: [] }), {}).config;
    const l = new Limiter({
      kv,
      logger: silentLogger,
      failMode: () => rateLimitFailMode,
      onKvFailure: (e) => failures.push(e),
    });
    await expect(l.admit([subject({ rpmLimit: 1 })], FREE)).resolves.toBeTruthy();
    expect(failures).toHaveLength(1);
  });

  it("fails closed on request: 503 with retry-after", async () => {
    const kv = down();
    opened.push(kv);
    const l = new Limiter({ kv, logger: silentLogger, failMode: () => "closed" });
    const error = await refusal(l.admit([subject({ rpmLimit: 1 })], FREE));
    expect(error?.status).toBe(503);
    expect(error?.code).toBe("limits_unavailable");
    expect(error?.headers["retry-after"]).toBe("1");
  });
});
