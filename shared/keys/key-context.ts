import type { LimitSubject, SubjectScope } from "../limits/subject";
import type { Sql } from "../store/sql/port";
import { startBudgetWindow } from "../store/tables/budget-windows";
import { getKeysByHash, type KeyRecord } from "../store/tables/keys";
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

/** A key's context from its records (as read from Postgres, or from a replica's shared copy). */
export function keyContext(
  key: KeyRecord,
  team: TeamRecord | undefined,
  user: UserRecord | undefined,
): KeyContext {
  const subjects = [subject("key", key.keyHash, key)];
  if (team !== undefined) subjects.push(subject("team", team.teamId, team));
  if (user !== undefined) subjects.push(subject("user", user.userId, user));
  return { key, team, user, subjects };
}

async function rollWindow(sql: Sql, owner: SubjectScope, id: string, r: LimitFields, now: number) {
  if (r.budgetResetAt === null || r.budgetDuration === null) return false;
  if (r.budgetResetAt.getTime() > now) return false;
  await startBudgetWindow(
    sql,
    owner,
    id,
    r.budgetResetAt,
    firstResetAfter(r.budgetResetAt, r.budgetDuration, now),
  );
  return true;
}

async function withOwners(
  sql: Sql,
  key: KeyRecord,
  now: number,
  rollOver: boolean,
): Promise<KeyContext | undefined> {
  const [team, user] = await Promise.all([
    key.teamId === null ? undefined : getTeam(sql, key.teamId),
    key.userId === null ? undefined : getUser(sql, key.userId),
  ]);
  if (rollOver) {
    const rolled = await Promise.all([
      rollWindow(sql, "key", key.keyHash, key, now),
      team === undefined ? false : rollWindow(sql, "team", team.teamId, team, now),
      user === undefined ? false : rollWindow(sql, "user", user.userId, user, now),
    ]);
    // Read again once: the window was just rolled here or by another replica.
    if (rolled.some(Boolean)) {
      const [again] = await getKeysByHash(sql, [key.keyHash]);
      return again === undefined ? undefined : withOwners(sql, again, now, false);
    }
  }
  return keyContext(key, team, user);
}

/**
 * Reads the contexts of the keys that exist among `keyHashes`: one query for all the keys, then
 * their teams and users. Budget windows that have ended are rolled over here, once, by whichever
 * replica sees them first. Unknown hashes cost nothing beyond their share of the first query.
 */
export async function loadKeyContexts(
  sql: Sql,
  keyHashes: readonly string[],
  now: number,
): Promise<Map<string, KeyContext>> {
  const keys = await getKeysByHash(sql, keyHashes);
  const contexts = await Promise.all(keys.map((key) => withOwners(sql, key, now, true)));
  const found = new Map<string, KeyContext>();
  for (const context of contexts) if (context !== undefined) found.set(context.key.keyHash, context);
  return found;
}
