import { afterAll, describe, expect, it } from "vitest";
import { GatewayError } from "../../shared/errors";
import { Limiter } from "../../shared/limits/limiter";
import type { LimitSubject } from "../../shared/limits/subject";
import { silentLogger } from "../../shared/logging/logger";
import { MemoryKv } from "../../shared/store/kv/memory";
import type { Kv } from "../../shared/store/kv/port";
import { redisKv } from "../../shared/store/kv/redis";
import { REDIS_URL, requireRedis } from "../support/replicas";

const run = Math.random().toString(36).slice(2, 8);
let counter = 0;

function subject(overrides: Partial<LimitSubject> = {}): LimitSubject {
  counter += 1;
  return {
    scope: "key",
    id: `limiter-${run}-${counter}`,
    rpmLimit: undefined,
    tpmLimit: undefined,
    maxParallelRequests: undefined,
    maxBudget: undefined,
    spend: 0,
    budgetResetAt: undefined,
    ...overrides,
  };
}

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => (error instanceof GatewayError ? error : undefined),
  );

const stores: Array<[string, () => Promise<Kv>]> = [
  ["memory", async () => new MemoryKv()],
  [
    "redis",
    async () => {
      await requireRedis();
      return redisKv({ url: REDIS_URL });
    },
  ],
];
const opened: Kv[] = [];

afterAll(async () => {
  await Promise.all(opened.map((kv) => kv.close()));
});

describe.each(stores)("Limiter on %s", (_name, open) => {
  const limiter = async (failMode: "open" | "closed" = "open") => {
    const kv = await open();
    opened.push(kv);
    return new Limiter({ kv, logger: silentLogger, failMode: () => failMode });
  };

  it("refuses the request past rpm_limit with 429 and a retry-after within the minute", async () => {
    const l = await limiter();
    const s = subject({ rpmLimit: 2 });
    await l.admit([s], 0);
    await l.admit([s], 0);
    const error = await refusal(l.admit([s], 0));
    expect(error?.status).toBe(429);
    expect(error?.code).toBe("rpm_limit_exceeded");
    expect(Number(error?.headers["retry-after"])).toBeGreaterThanOrEqual(1);
    expect(Number(error?.headers["retry-after"])).toBeLessThanOrEqual(60);
  });

  it("holds a parallel slot until the request finishes", async () => {
    const l = await limiter();
    const s = subject({ maxParallelRequests: 1 });
    const first = await l.admit([s], 0);
    expect((await refusal(l.admit([s], 0)))?.code).toBe("parallel_limit_exceeded");
    first.finish(0, 0);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await expect(l.admit([s], 0)).resolves.toBeTruthy();
  });

  it("counts tokens when a request finishes and refuses once tpm_limit is reached", async () => {
    const l = await limiter();
    const s = subject({ tpmLimit: 10 });
    (await l.admit([s], 0)).finish(15, 0);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await refusal(l.admit([s], 0)))?.code).toBe("tpm_limit_exceeded");
  });

  it("admits while spend plus reservations is under the budget, so concurrency overshoots by at most one request", async () => {
    const l = await limiter();
    const s = subject({ maxBudget: 1 });
    const admitted = await Promise.all([l.admit([s], 0.4), l.admit([s], 0.4), l.admit([s], 0.4)]);
    const error = await refusal(l.admit([s], 0.4));
    expect(error?.status).toBe(403);
    expect(error?.code).toBe("budget_exceeded");
    // Real costs come in lower than reserved: the budget has room again.
    for (const a of admitted) a.finish(0, 0.3);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await expect(l.admit([s], 0.4)).resolves.toBeTruthy();
    expect((await refusal(l.admit([s], 0.4)))?.code).toBe("budget_exceeded");
  });

  it("seeds the live spend from Postgres's figure and names the team whose budget ran out", async () => {
    const l = await limiter();
    const key = subject();
    const team = subject({ scope: "team", maxBudget: 5, spend: 5 });
    const error = await refusal(l.admit([key, team], 0.1));
    expect(error?.code).toBe("budget_exceeded");
    expect(error?.message).toContain(`team "${team.id}"`);
  });

  it("consumes nothing when it refuses: a budget refusal does not count toward rpm", async () => {
    const l = await limiter();
    const s = subject({ rpmLimit: 1, maxBudget: 1, spend: 2 });
    expect((await refusal(l.admit([s], 0)))?.code).toBe("budget_exceeded");
    const fresh = { ...s, maxBudget: undefined };
    await expect(l.admit([fresh], 0)).resolves.toBeTruthy();
  });

  it("lets a subject without limits through without touching the store", async () => {
    const l = await limiter("closed");
    await expect(l.admit([subject()], 1)).resolves.toBeTruthy();
  });
});

describe("Limiter with the store down", () => {
  const down = () => redisKv({ url: "redis://127.0.0.1:1", commandTimeoutMs: 200, onError: () => {} });

  it("fails open by default: the request is served and the failure reported", async () => {
    const kv = down();
    opened.push(kv);
    const failures: unknown[] = [];
    const l = new Limiter({
      kv,
      logger: silentLogger,
      failMode: () => "open",
      onKvFailure: (e) => failures.push(e),
    });
    await expect(l.admit([subject({ rpmLimit: 1 })], 0)).resolves.toBeTruthy();
    expect(failures).toHaveLength(1);
  });

  it("fails closed on request: 503 with retry-after", async () => {
    const kv = down();
    opened.push(kv);
    const l = new Limiter({ kv, logger: silentLogger, failMode: () => "closed" });
    const error = await refusal(l.admit([subject({ rpmLimit: 1 })], 0));
    expect(error?.status).toBe(503);
    expect(error?.code).toBe("limits_unavailable");
    expect(error?.headers["retry-after"]).toBe("1");
  });
});
