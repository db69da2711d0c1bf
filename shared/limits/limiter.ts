import { forbidden, GatewayError } from "../errors";
import type { Logger } from "../logging/logger";
import type { Kv } from "../store/kv/port";
import { type AdmitReply, admitScript, finishScript } from "./limit-scripts";
import type { LimitSubject } from "./subject";

const WINDOW_MS = 60_000;
/** A replica that dies mid-request must not hold a parallel slot or a reservation forever. */
const IN_FLIGHT_TTL_MS = 10 * 60_000;
/** Live spend counters are re-seeded from Postgres at least this often. */
const MAX_SPEND_TTL_MS = 60 * 60_000;

export type FailMode = "open" | "closed";

export interface LimiterOptions {
  readonly kv: Kv;
  readonly logger: Logger;
  /** What to do when the KV store cannot be reached: serve anyway (open) or refuse (closed). */
  readonly failMode: () => FailMode;
  readonly onKvFailure?: (error: unknown) => void;
}

/** A request that was let through; `finish` records what it used and frees what it held. */
export interface Admission {
  finish(tokens: number, cost: number): void;
}

const NOTHING_HELD: Admission = Object.freeze({ finish() {} });

const WHICH = { 1: "rpm", 2: "tpm", 3: "parallel request" } as const;

const rateKeys = (s: LimitSubject) => {
  const base = `routeiq:rl:${s.scope}:${s.id}`;
  return { rpm: `${base}:rpm`, tpm: `${base}:tpm`, parallel: `${base}:par` };
};

function budgetKeys(s: LimitSubject): { spend: string; reserved: string } {
  const window = s.budgetResetAt === undefined ? "all" : String(s.budgetResetAt.getTime());
  const base = `routeiq:budget:${s.scope}:${s.id}:${window}`;
  return { spend: `${base}:spend`, reserved: `${base}:reserved` };
}

function budgetTtl(s: LimitSubject, now: number): number {
  if (s.budgetResetAt === undefined) return MAX_SPEND_TTL_MS;
  return Math.max(1_000, Math.min(MAX_SPEND_TTL_MS, s.budgetResetAt.getTime() - now));
}

function refusal(
  reply: Exclude<AdmitReply, { admitted: true }>,
  budgeted: readonly LimitSubject[],
  limited: readonly LimitSubject[],
): GatewayError {
  if (reply.kind === "budget") {
    const s = budgeted[reply.subject] as LimitSubject;
    const who = s.scope === "key" ? "key" : `${s.scope} "${s.id}"`;
    const resets = s.budgetResetAt === undefined ? "" : `; resets at ${s.budgetResetAt.toISOString()}`;
    return forbidden(
      "budget_exceeded",
      `${who} budget exceeded: spent $${reply.committed.toFixed(6)} of max_budget $${s.maxBudget}${resets}`,
    );
  }
  const s = limited[reply.subject] as LimitSubject;
  const limit = [s.rpmLimit, s.tpmLimit, s.maxParallelRequests][reply.which - 1];
  const seconds = Math.max(1, Math.ceil(reply.retryAfterMs / 1000));
  return new GatewayError({
    status: 429,
    type: "rate_limit_error",
    code: `${WHICH[reply.which].replace(" request", "")}_limit_exceeded`,
    message: `${s.scope} ${WHICH[reply.which]} limit of ${limit} reached; retry in ${seconds}s`,
    headers: { "retry-after": String(seconds) },
  });
}

/**
 * Enforces rpm/tpm/parallel limits and budgets for a request's subjects (key, team, user),
 * atomically across replicas: one script call to admit, one to finish.
 */
export class Limiter {
  readonly #options: LimiterOptions;

  constructor(options: LimiterOptions) {
    this.#options = options;
  }

  async admit(subjects: readonly LimitSubject[], estimatedCost: number): Promise<Admission> {
    const budgeted = subjects.filter((s) => s.maxBudget !== undefined);
    const limited = subjects.filter(
      (s) => s.rpmLimit !== undefined || s.tpmLimit !== undefined || s.maxParallelRequests !== undefined,
    );
    if (budgeted.length === 0 && limited.length === 0) return NOTHING_HELD;
    const now = Date.now();
    const budgetKeyList = budgeted.flatMap((s) => {
      const k = budgetKeys(s);
      return [k.spend, k.reserved];
    });
    const ttl =
      budgeted.length === 0 ? MAX_SPEND_TTL_MS : Math.min(...budgeted.map((s) => budgetTtl(s, now)));
    let reply: AdmitReply;
    try {
      reply = await this.#options.kv.run(
        admitScript,
        [
          ...budgetKeyList,
          ...limited.flatMap((s) => {
            const k = rateKeys(s);
            return [k.rpm, k.tpm, k.parallel];
          }),
        ],
        [
          budgeted.length,
          limited.length,
          estimatedCost,
          ttl,
          WINDOW_MS,
          IN_FLIGHT_TTL_MS,
          ...budgeted.flatMap((s) => [s.maxBudget ?? 0, s.spend]),
          ...limited.flatMap((s) => [s.rpmLimit ?? 0, s.tpmLimit ?? 0, s.maxParallelRequests ?? 0]),
        ],
      );
    } catch (error) {
      return this.#kvDown(error);
    }
    if (!reply.admitted) throw refusal(reply, budgeted, limited);
    const finishKeys = [
      ...budgetKeyList,
      ...limited.flatMap((s) => {
        const k = rateKeys(s);
        return [k.tpm, k.parallel];
      }),
    ];
    const flags = limited.flatMap((s) => [
      s.tpmLimit === undefined ? 0 : 1,
      s.maxParallelRequests === undefined ? 0 : 1,
    ]);
    return {
      finish: (tokens, cost) => {
        this.#options.kv
          .run(finishScript, finishKeys, [
            budgeted.length,
            limited.length,
            estimatedCost,
            cost,
            WINDOW_MS,
            tokens,
            ...flags,
          ])
          .catch((error: unknown) => this.#options.onKvFailure?.(error));
      },
    };
  }

  #kvDown(error: unknown): Admission {
    this.#options.onKvFailure?.(error);
    const message = error instanceof Error ? error.message : String(error);
    if (this.#options.failMode() === "open") {
      this.#options.logger.warn("limits store unreachable; serving without rate limits (fail open)", {
        error: message,
      });
      return NOTHING_HELD;
    }
    throw new GatewayError({
      status: 503,
      type: "service_unavailable_error",
      code: "limits_unavailable",
      message: "rate-limit store is unreachable and limits fail closed; retry shortly",
      headers: { "retry-after": "1" },
    });
  }
}
