import type { LimitSubject, SubjectScope } from "../limits/subject";
import type { Sql } from "../store/sql/port";
import { startBudgetWindow } from "../store/tables/budget-windows";
import { getKeyByHash, type KeyRecord } from "../store/tables/keys";
import type { LimitFields } from "../store/tables/limits";
import { getTeam, type TeamRecord } from "../store/tables/teams";
import { getUser, type UserRecord } from "../store/tables/users";
import { durationMs, nextReset, parseDuration } from "./duration";

/** What a request made with a virtual key is allowed, resolved from its key, team and user. */
export interface KeyContext {
  readonly key: KeyRecord;
  readonly team: TeamRecord | undefined;
  readonly user: UserRecord | undefined;
  /** Budget and rate-limit holders, most specific first. */
  readonly subjects: readonly LimitSubject[];
}

export interface KeyResolverOptions {
  readonly sql: Sql;
  /** How long a resolved key is trusted without asking Postgres; invalidations cut it short. */
  readonly ttlMs?: number;
  /** Unknown keys are remembered briefly so a flood of bad keys does not reach Postgres. */
  readonly negativeTtlMs?: number;
  readonly now?: () => number;
}

interface Entry {
  readonly value: Promise<KeyContext | undefined>;
  readonly expires: number;
}

const MAX_ENTRIES = 50_000;

/** The first window boundary after `now`, jumping over every window missed while the key sat idle. */
function firstResetAfter(resetAt: Date, duration: string, now: number): Date {
  if (parseDuration(duration)?.unit !== "mo") {
    const step = durationMs(duration);
    const missed = Math.floor((now - resetAt.getTime()) / step) + 1;
    return new Date(resetAt.getTime() + missed * step);
  }
  let next = nextReset(resetAt, duration);
  while (next.getTime() <= now) next = nextReset(next, duration);
  return next;
}

function subject(scope: SubjectScope, id: string, r: LimitFields): LimitSubject {
  return {
    scope,
    id,
    rpmLimit: r.rpmLimit ?? undefined,
    tpmLimit: r.tpmLimit ?? undefined,
    maxParallelRequests: r.maxParallelRequests ?? undefined,
    maxBudget: r.maxBudget ?? undefined,
    spend: r.spend,
    budgetResetAt: r.budgetResetAt ?? undefined,
  };
}

/**
 * Resolves key hashes to their context with a short-lived in-process cache (one Postgres read
 * per key per TTL, concurrent misses share it). Budget windows that have ended are rolled over
 * here, once, by whichever replica sees them first.
 */
export class KeyResolver {
  readonly #sql: Sql;
  readonly #ttlMs: number;
  readonly #negativeTtlMs: number;
  readonly #now: () => number;
  readonly #cache = new Map<string, Entry>();

  constructor(options: KeyResolverOptions) {
    this.#sql = options.sql;
    this.#ttlMs = options.ttlMs ?? 5_000;
    this.#negativeTtlMs = options.negativeTtlMs ?? 2_000;
    this.#now = options.now ?? Date.now;
  }

  resolve(keyHash: string): Promise<KeyContext | undefined> {
    const now = this.#now();
    const cached = this.#cache.get(keyHash);
    if (cached !== undefined && cached.expires > now) return cached.value;
    if (this.#cache.size >= MAX_ENTRIES) this.#cache.clear();
    const value = this.#load(keyHash);
    this.#cache.set(keyHash, { value, expires: now + this.#ttlMs });
    value.then(
      (context) => {
        if (context === undefined)
          this.#cache.set(keyHash, { value, expires: this.#now() + this.#negativeTtlMs });
      },
      () => this.#cache.delete(keyHash),
    );
    return value;
  }

  invalidate(keyHashes: readonly string[]): void {
    for (const hash of keyHashes) this.#cache.delete(hash);
  }

  async #load(keyHash: string, rollOver = true): Promise<KeyContext | undefined> {
    const key = await getKeyByHash(this.#sql, keyHash);
    if (key === undefined) return undefined;
    const [team, user] = await Promise.all([
      key.teamId === null ? undefined : getTeam(this.#sql, key.teamId),
      key.userId === null ? undefined : getUser(this.#sql, key.userId),
    ]);
    if (rollOver) {
      const rolled = await Promise.all([
        this.#rollWindow("key", keyHash, key),
        team === undefined ? false : this.#rollWindow("team", team.teamId, team),
        user === undefined ? false : this.#rollWindow("user", user.userId, user),
      ]);
      // Read again once: the window was just rolled here or by another replica.
      if (rolled.some(Boolean)) return this.#load(keyHash, false);
    }
    const subjects = [subject("key", keyHash, key)];
    if (team !== undefined) subjects.push(subject("team", team.teamId, team));
    if (user !== undefined) subjects.push(subject("user", user.userId, user));
    return { key, team, user, subjects };
  }

  async #rollWindow(owner: SubjectScope, id: string, r: LimitFields): Promise<boolean> {
    if (r.budgetResetAt === null || r.budgetDuration === null) return false;
    const now = this.#now();
    if (r.budgetResetAt.getTime() > now) return false;
    const next = firstResetAfter(r.budgetResetAt, r.budgetDuration, now);
    await startBudgetWindow(this.#sql, owner, id, r.budgetResetAt, next);
    return true;
  }
}
