import { forbidden, GatewayError } from "../errors";
import type { Logger } from "../logging/logger";
import type { Kv } from "../store/kv/port";
import {
  type AdmitReply,
  admitScript,
  type CountedWindow,
  finishScript,
  resetSpendScript,
  undoScript,
} from "./limit-scripts";
import { hasRateLimits, type LimitSubject } from "./subject";

const WINDOW_MS = 60_000;
/**
 * How long an admitted request may hold its reservation and parallel slot. A request that runs
 * longer (a very long stream) frees them early; one whose replica died frees them when this runs
 * out, on its own, however busy its key stays.
 */
const HOLD_MS = 10 * 60_000;

/**
 * Reservations are capped where a number stays exact in Lua and Redis integers: a client asking for
 * `max_tokens: 1e300` is still refused by any budget, instead of breaking the script (which would
 * fail open).
 */
const MAX_TOKENS = 1e12;
const MAX_COST = 1e9;

export type FailMode = "open" | "closed";

export interface LimiterOptions {
  readonly kv: Kv;
  readonly logger: Logger;
  /** What to do when the KV store cannot be reached: serve anyway (open) or refuse (closed). */
  readonly failMode: () => FailMode;
  readonly onKvFailure?: (error: unknown) => void;
  /** Namespace of the limiter's keys in the KV store. */
  readonly prefix?: string;
  /** How long an admission may hold its reservation (default HOLD_MS). */
  readonly holdMs?: number;
  /**
   * One script call per subject, undoing earlier subjects when a later one refuses, instead of one
   * call for all: what a Redis Cluster needs (default: whether `kv` is `clustered`).
   */
  readonly perSubject?: boolean;
}

/** What a request may use at most: held from admission until it finishes. */
export interface Reservation {
  /** USD. */
  readonly cost: number;
  readonly tokens: number;
}

/** A request that was let through; `finish` records what it used and frees what it held. */
export interface Admission {
  /** Call once; resolves when recorded (never rejects: a store failure is reported, not thrown). */
  finish(tokens: number, cost: number): Promise<void>;
}

const NOTHING_HELD: Admission = Object.freeze({ finish: () => Promise.resolve() });

const WHICH = { 1: "rpm", 2: "tpm", 3: "parallel request" } as const;

/** Non-negative, finite and at most `max`: what a counter may be given. */
const bounded = (value: number, max: number): number =>
  Number.isFinite(value) ? Math.min(max, Math.max(0, value)) : value > 0 ? max : 0;

const limited = (s: LimitSubject) => s.maxBudget !== undefined || hasRateLimits(s);

type SubjectKeys = [state: string, inFlight: string, held: string];

/** Subjects admitted by one script call: their keys, and what ADMIT replied for each. */
interface Taken {
  readonly count: number;
  readonly keys: readonly string[];
  readonly windows: readonly CountedWindow[];
}

function refusal(
  reply: Exclude<AdmitReply, { admitted: true }>,
  subjects: readonly LimitSubject[],
): GatewayError {
  const s = subjects[reply.subject] as LimitSubject;
  if (reply.kind === "budget") {
    const resets = s.budgetResetAt === undefined ? "" : `; resets at ${s.budgetResetAt.toISOString()}`;
    // Every caller shares this budget: its figures are the operator's business, not the caller's.
    if (s.scope === "proxy") {
      return forbidden(
        "budget_exceeded",
        `the gateway's budget (litellm_settings.max_budget) is spent${resets}`,
      );
    }
    const who = s.scope === "key" ? "key" : `${s.scope} "${s.id}"`;
    return forbidden(
      "budget_exceeded",
      `${who} budget exceeded: spent $${reply.committed.toFixed(6)} of max_budget $${s.maxBudget}${resets}`,
    );
  }
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
 * Enforces rpm/tpm/parallel limits and budgets for a request's subjects (key, team, user, proxy),
 * atomically across replicas: one script call to admit, one to finish (see limit-scripts.ts).
 *
 * Per subject (a Redis Cluster, where each subject's keys share a hash tag and so a slot): one
 * call per subject, in order, each atomic for its subject. A request is admitted only if every
 * subject admits it; when one refuses, what the earlier ones took is undone before the refusal is
 * answered. No subject ever admits past its limits; while a request that will be refused holds
 * what an earlier subject gave it, another request can be refused for it (never let through).
 */
export class Limiter {
  readonly #options: LimiterOptions;
  readonly #prefix: string;
  readonly #perSubject: boolean;
  readonly #finishing = new Set<Promise<void>>();

  constructor(options: LimiterOptions) {
    this.#options = options;
    this.#prefix = options.prefix ?? "lim";
    this.#perSubject = options.perSubject ?? options.kv.clustered === true;
  }

  async admit(subjects: readonly LimitSubject[], reservation: Reservation): Promise<Admission> {
    const counted = subjects.filter(limited);
    if (counted.length === 0) return NOTHING_HELD;
    const requestId = crypto.randomUUID();
    const cost = bounded(reservation.cost, MAX_COST);
    const tokens = Math.ceil(bounded(reservation.tokens, MAX_TOKENS));
    const taken: Taken[] = [];
    for (const group of this.#groups(counted)) {
      const keys = group.flatMap((s) => this.#keys(s));
      let reply: AdmitReply;
      try {
        reply = await this.#options.kv.run(admitScript, keys, [
          group.length,
          requestId,
          cost,
          tokens,
          this.#options.holdMs ?? HOLD_MS,
          WINDOW_MS,
          ...group.flatMap((s) => [
            s.maxBudget ?? -1,
            s.spend,
            s.budgetResetAt === undefined ? "all" : String(s.budgetResetAt.getTime()),
            s.rpmLimit ?? 0,
            s.tpmLimit ?? 0,
            s.maxParallelRequests ?? 0,
          ]),
        ]);
      } catch (error) {
        // The script may have run and only its reply been lost (a timeout, a connection closed
        // mid-reply): releasing its hold too, by request id, keeps a parallel slot from staying
        // taken for `holdMs`. A hold that was never taken makes the release do nothing.
        await Promise.all([
          this.#undo(taken, requestId),
          this.#release({ count: group.length, keys }, requestId),
        ]);
        return this.#kvDown(error);
      }
      if (!reply.admitted) {
        await this.#undo(taken, requestId);
        throw refusal(reply, group);
      }
      taken.push({ count: group.length, keys, windows: reply.windows });
    }
    let finished: Promise<void> | undefined;
    return {
      finish: (usedTokens, usedCost) => {
        finished ??= this.#track(
          Promise.all(
            taken.map(({ count, keys }) =>
              this.#options.kv.run(finishScript, keys, [
                count,
                requestId,
                bounded(usedCost, MAX_COST),
                Math.round(bounded(usedTokens, MAX_TOKENS)),
                WINDOW_MS,
              ]),
            ),
          ).then(() => undefined),
        );
        return finished;
      },
    };
  }

  /** An operator set these subjects' spend in Postgres: the live counters start again from it. */
  async resetSpend(subjects: ReadonlyArray<Pick<LimitSubject, "scope" | "id">>): Promise<void> {
    if (subjects.length === 0) return;
    await Promise.all(
      this.#groups(subjects).map((group) =>
        this.#options.kv.run(
          resetSpendScript,
          group.map((s) => this.#keys(s)[0]),
          [],
        ),
      ),
    );
  }

  /** Waits for the finishes under way (a Lambda invoke's end, shutdown). */
  async drain(): Promise<void> {
    await Promise.all([...this.#finishing]);
  }

  /** The subjects each script call takes: all at once, or one by one on a cluster. */
  #groups<S>(subjects: readonly S[]): (readonly S[])[] {
    return this.#perSubject ? subjects.map((s) => [s]) : [subjects];
  }

  /**
   * Best effort: ends a hold the request may have taken, charging nothing. Its failure is the
   * admission's own, already reported; the hold, if any, then runs out after `holdMs`.
   */
  async #release({ count, keys }: Pick<Taken, "count" | "keys">, requestId: string): Promise<void> {
    await this.#options.kv
      .run(finishScript, keys, [count, requestId, 0, 0, WINDOW_MS])
      .catch(() => undefined);
  }

  /**
   * Gives back what the subjects admitted so far took. A failure is reported, not thrown: the
   * holds then run out after `holdMs`, and the rpm counts with their window.
   */
  async #undo(taken: readonly Taken[], requestId: string): Promise<void> {
    await Promise.all(
      taken.flatMap(({ keys, windows }) =>
        windows.map(([counted, before], i) =>
          this.#options.kv
            .run(undoScript, keys.slice(i * 3, i * 3 + 3), [requestId, counted, before])
            .catch((error: unknown) => this.#options.onKvFailure?.(error)),
        ),
      ),
    );
  }

  /**
   * A subject's three keys, sharing the hash tag `{<scope>:<id>}` so that a Redis Cluster keeps
   * them in one slot (an id holding `}` ends the tag early, the same way in all three). Team and
   * user ids are free text: every key ends in a suffix whose last character the other two lack,
   * so no id (`x}:fl`, say) can name another subject's key.
   */
  #keys(s: Pick<LimitSubject, "scope" | "id">): SubjectKeys {
    const base = `${this.#prefix}:{${s.scope}:${s.id}}`;
    return [`${base}:s`, `${base}:fl`, `${base}:fr`];
  }

  #track(call: Promise<void>): Promise<void> {
    const done = call
      .catch((error: unknown) => this.#options.onKvFailure?.(error))
      .finally(() => this.#finishing.delete(done));
    this.#finishing.add(done);
    return done;
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
