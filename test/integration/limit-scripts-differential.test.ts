import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GatewayError } from "../../shared/errors";
import { type Admission, Limiter } from "../../shared/limits/limiter";
import type { LimitSubject } from "../../shared/limits/subject";
import { silentLogger } from "../../shared/logging/logger";
import { MemoryKv } from "../../shared/store/kv/memory";
import type { Kv } from "../../shared/store/kv/port";
import { type RedisKv, redisKv } from "../../shared/store/kv/redis";
import type { KvScript } from "../../shared/store/kv/script";
import { deleteTestKeys, testKeyPrefix } from "../support/redis-keys";
import { REDIS_URL, requireRedis } from "../support/replicas";

/**
 * The limiter's Lua scripts (Redis) and their JavaScript twins (the memory store) must behave alike:
 * random sequences of admissions, finishes, spend resets and clock moves are played against both,
 * and every script reply must be the same, step by step.
 *
 * Both sides read one virtual clock. Redis's `TIME` is swapped for two trailing arguments carrying
 * it; nothing else of the Lua changes. Costs are multiples of 1/8 so both sides' sums are exact.
 */

const HOLD_MS = 5_000;
const START_MS = 1_800_000_000_000;

let clock = START_MS;
const CLOCK_LUA = "redis.call('TIME')";
const clocked = new Map<KvScript<unknown>, KvScript<unknown>>();

function onVirtualClock<R>(script: KvScript<R>): KvScript<R> {
  let twin = clocked.get(script as KvScript<unknown>);
  if (twin === undefined) {
    // At most one clock read per script (a spend reset reads none), so one swap covers it.
    expect(script.lua.split(CLOCK_LUA).length).toBeLessThanOrEqual(2);
    twin = { ...script, lua: script.lua.replace(CLOCK_LUA, "{ ARGV[#ARGV - 1], ARGV[#ARGV] }") };
    clocked.set(script as KvScript<unknown>, twin);
  }
  return twin as KvScript<R>;
}

interface Recording {
  readonly kv: Kv;
  readonly replies: unknown[];
}

/** Records every parsed script reply; on Redis, hands the virtual clock to the script. */
function recording(inner: Kv, virtualClock: boolean): Recording {
  const replies: unknown[] = [];
  const kv: Kv = {
    get: (key) => inner.get(key),
    set: (key, value, ttl) => inner.set(key, value, ttl),
    del: (key) => inner.del(key),
    publish: (channel, message) => inner.publish(channel, message),
    subscribe: (channel, onMessage) => inner.subscribe(channel, onMessage),
    ping: (signal) => inner.ping(signal),
    close: () => inner.close(),
    async run(script, keys, args) {
      const reply = virtualClock
        ? await inner.run(onVirtualClock(script), keys, [
            ...args,
            Math.floor(clock / 1000),
            (clock % 1000) * 1000,
          ])
        : await inner.run(script, keys, args);
      replies.push(reply);
      return reply;
    },
  };
  return { kv, replies };
}

type Command =
  | { readonly op: "admit"; readonly who: number; readonly cost: number; readonly tokens: number }
  | { readonly op: "finish"; readonly which: number; readonly cost: number; readonly tokens: number }
  | { readonly op: "advance"; readonly ms: number }
  | { readonly op: "reset"; readonly who: number }
  | { readonly op: "seed"; readonly who: number; readonly spend: number }
  | { readonly op: "newWindow"; readonly who: number };

const eighths = (max: number) => fc.integer({ min: 0, max: max * 8 }).map((n) => n / 8);
/** Which of the three subjects a step names: a non-empty subset, as a bit mask. */
const who = fc.integer({ min: 1, max: 7 });

const command: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant("admit" as const),
      who,
      cost: eighths(3),
      tokens: fc.integer({ min: 0, max: 400 }),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant("finish" as const),
      which: fc.nat(),
      cost: eighths(4),
      tokens: fc.integer({ min: 0, max: 600 }),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant("advance" as const),
      // Few values, so sums land on the hold's end (5 s) and the rate window's (60 s) often.
      ms: fc.constantFrom(1, 4_999, 5_000, 55_000, 60_000),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("reset" as const), who }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("seed" as const), who, spend: eighths(10) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("newWindow" as const), who }) },
);

const limits = fc.record({
  keyBudget: fc.option(eighths(8), { nil: undefined }),
  keyRpm: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
  teamTpm: fc.option(fc.integer({ min: 1, max: 1_000 }), { nil: undefined }),
  teamParallel: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
  userBudget: fc.option(eighths(8), { nil: undefined }),
  userRpm: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
});

type Outcome = { admitted: true } | { status: number; code: string; message: string; retryAfter?: string };

async function outcome(admission: Promise<Admission>): Promise<[Outcome, Admission | undefined]> {
  try {
    return [{ admitted: true }, await admission];
  } catch (error) {
    if (!(error instanceof GatewayError)) throw error;
    return [
      {
        status: error.status,
        code: error.code,
        message: error.message,
        retryAfter: error.headers["retry-after"],
      },
      undefined,
    ];
  }
}

let redis: RedisKv;
let prefix: string;
let runs = 0;

beforeAll(async () => {
  await requireRedis();
  redis = redisKv({ url: REDIS_URL });
  prefix = testKeyPrefix("limprop");
});

afterAll(async () => {
  await deleteTestKeys(REDIS_URL, prefix);
  await redis?.close();
});

describe("limit scripts: Redis and the memory twin", () => {
  it("agree step by step on random admit / finish / expire / reset sequences, whole or per subject", async () => {
    await fc.assert(
      fc.asyncProperty(limits, fc.array(command, { minLength: 1, maxLength: 40 }), async (l, commands) => {
        runs += 1;
        clock = START_MS;
        const subjects = (): LimitSubject[] => [
          {
            scope: "key",
            id: `k${runs}`,
            maxBudget: l.keyBudget,
            spend: 0,
            budgetResetAt: undefined,
            rpmLimit: l.keyRpm,
            tpmLimit: undefined,
            maxParallelRequests: undefined,
          },
          {
            scope: "team",
            id: `t${runs}`,
            maxBudget: undefined,
            spend: 0,
            budgetResetAt: undefined,
            rpmLimit: undefined,
            tpmLimit: l.teamTpm,
            maxParallelRequests: l.teamParallel,
          },
          {
            scope: "user",
            id: `u${runs}`,
            maxBudget: l.userBudget,
            spend: 0,
            budgetResetAt: new Date(START_MS + 86_400_000),
            rpmLimit: l.userRpm,
            tpmLimit: undefined,
            maxParallelRequests: undefined,
          },
        ];
        // All subjects in one script call, then one call per subject as on a Redis Cluster.
        const sides = [false, false, true, true].map((perSubject, i) => ({
          rec: i % 2 === 0 ? recording(new MemoryKv({ now: () => clock }), false) : recording(redis, true),
          subjects: subjects(),
          open: [] as Admission[],
          perSubject,
        }));
        const limiters = sides.map((side) => ({
          ...side,
          limiter: new Limiter({
            kv: side.rec.kv,
            logger: silentLogger,
            failMode: () => "closed",
            prefix: `${prefix}:${runs}:${side.perSubject ? "split" : "whole"}`,
            perSubject: side.perSubject,
            holdMs: HOLD_MS,
            onKvFailure: (error) => {
              throw error;
            },
          }),
        }));
        const chosen = (mask: number, all: LimitSubject[]) => all.filter((_, i) => (mask >> i) & 1);

        for (const [step, c] of commands.entries()) {
          const outcomes: unknown[] = [];
          for (const side of limiters) {
            if (c.op === "admit") {
              const [result, admission] = await outcome(
                side.limiter.admit(chosen(c.who, side.subjects), { cost: c.cost, tokens: c.tokens }),
              );
              if (admission !== undefined) side.open.push(admission);
              outcomes.push(result);
            } else if (c.op === "finish") {
              if (side.open.length === 0) continue;
              const [admission] = side.open.splice(c.which % side.open.length, 1);
              await admission?.finish(c.tokens, c.cost);
            } else if (c.op === "reset") {
              await side.limiter.resetSpend(chosen(c.who, side.subjects));
            } else if (c.op === "seed" || c.op === "newWindow") {
              side.subjects = side.subjects.map((s, i) =>
                (c.who >> i) & 1
                  ? c.op === "seed"
                    ? { ...s, spend: c.spend }
                    : { ...s, spend: 0, budgetResetAt: new Date(clock + 86_400_000) }
                  : s,
              );
            }
          }
          if (c.op === "advance") clock += c.ms;
          const [memory, real, memorySplit, realSplit] = limiters as [
            (typeof limiters)[0],
            (typeof limiters)[0],
            (typeof limiters)[0],
            (typeof limiters)[0],
          ];
          const context = `step ${step} (${JSON.stringify(c)}) of ${JSON.stringify(commands)}`;
          expect(real.rec.replies, context).toEqual(memory.rec.replies);
          expect(realSplit.rec.replies, context).toEqual(memorySplit.rec.replies);
          // Split per subject, a refusal undone leaves every subject as one script call would have.
          for (const other of outcomes.slice(1)) expect(other, context).toEqual(outcomes[0]);
        }
      }),
      { numRuns: 300 },
    );
  });
});
