import type { LimitSubject } from "../../shared/limits/subject";

/** A key, team or user for the limiter's tests: no limits and no spend unless `limits` sets them. */
export function limitSubject(
  scope: LimitSubject["scope"],
  id: string,
  limits: Partial<LimitSubject> = {},
): LimitSubject {
  return {
    scope,
    id,
    rpmLimit: undefined,
    tpmLimit: undefined,
    maxParallelRequests: undefined,
    maxBudget: undefined,
    spend: 0,
    budgetResetAt: undefined,
    ...limits,
  };
}
