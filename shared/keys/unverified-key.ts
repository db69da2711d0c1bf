import { type KeyContext, keyContext } from "./key-context";

/**
 * What `allow_requests_on_db_unavailable: true` lets through while Postgres is unreachable: a key
 * nobody could check, as LiteLLM admits it. It has no limits, no model restrictions, no team or
 * user; its spend is logged under its own hash and reaches the key when the database returns,
 * if the key exists.
 */
export function unverifiedKey(keyHash: string, now: number): KeyContext {
  const at = new Date(now);
  return keyContext(
    {
      keyHash,
      keyName: "unverified: database unavailable",
      keyAlias: null,
      teamId: null,
      userId: null,
      expiresAt: null,
      blocked: false,
      models: [],
      maxBudget: null,
      budgetDuration: null,
      budgetResetAt: null,
      spend: 0,
      rpmLimit: null,
      tpmLimit: null,
      maxParallelRequests: null,
      metadata: {},
      objectPermission: {},
      createdAt: at,
      updatedAt: at,
    },
    undefined,
    undefined,
  );
}
