/**
 * Whose limits a request counts against: its virtual key, the key's team, the key's user, and the
 * gateway as a whole (`litellm_settings.max_budget`).
 */
export type SubjectScope = "key" | "team" | "user" | "proxy";

export interface LimitSubject {
  readonly scope: SubjectScope;
  readonly id: string;
  readonly rpmLimit: number | undefined;
  readonly tpmLimit: number | undefined;
  readonly maxParallelRequests: number | undefined;
  readonly maxBudget: number | undefined;
  /** Spend recorded in Postgres for the current budget window (Redis holds the live figure). */
  readonly spend: number;
  /** End of the current budget window; a new window starts a fresh counter. */
  readonly budgetResetAt: Date | undefined;
}

export const hasRateLimits = (s: LimitSubject): boolean =>
  s.rpmLimit !== undefined || s.tpmLimit !== undefined || s.maxParallelRequests !== undefined;
