import type { KeyRecord } from "../../store/tables/keys";
import type { LimitFields } from "../../store/tables/limits";
import type { SpendLogRecord } from "../../store/tables/spend-logs";
import type { TeamRecord } from "../../store/tables/teams";
import type { UserRecord } from "../../store/tables/users";

/** Records as LiteLLM's management API names them (dates serialise as ISO 8601). */
const limitView = (record: LimitFields) => ({
  models: record.models,
  max_budget: record.maxBudget,
  budget_duration: record.budgetDuration,
  budget_reset_at: record.budgetResetAt,
  spend: record.spend,
  rpm_limit: record.rpmLimit,
  tpm_limit: record.tpmLimit,
  max_parallel_requests: record.maxParallelRequests,
  metadata: record.metadata,
  object_permission: record.objectPermission,
});

/** A key without its secret: `token` is the hash it is managed by. */
export const keyView = (key: KeyRecord) => ({
  token: key.keyHash,
  key_name: key.keyName,
  key_alias: key.keyAlias,
  team_id: key.teamId,
  user_id: key.userId,
  expires: key.expiresAt,
  blocked: key.blocked,
  ...limitView(key),
  created_at: key.createdAt,
  updated_at: key.updatedAt,
});

export const teamView = (team: TeamRecord) => ({
  team_id: team.teamId,
  team_alias: team.teamAlias,
  blocked: team.blocked,
  ...limitView(team),
  created_at: team.createdAt,
  updated_at: team.updatedAt,
});

export const userView = (user: UserRecord) => ({
  user_id: user.userId,
  user_email: user.userEmail,
  user_role: user.userRole,
  teams: user.teams,
  ...limitView(user),
  created_at: user.createdAt,
  updated_at: user.updatedAt,
});

/** A row of LiteLLM's `LiteLLM_SpendLogs`: `api_key` is the key's hash, `model` the requested model. */
export const spendLogView = (log: SpendLogRecord) => ({
  request_id: log.requestId,
  api_key: log.keyHash,
  team_id: log.teamId,
  user: log.userId,
  model: log.modelGroup,
  model_group: log.modelGroup,
  model_id: log.deployment,
  custom_llm_provider: log.provider,
  spend: log.spend,
  prompt_tokens: log.promptTokens,
  completion_tokens: log.completionTokens,
  total_tokens: log.totalTokens,
  startTime: log.startedAt,
  endTime: log.endedAt,
  status: log.status < 400 ? "success" : "failure",
  status_code: log.status,
  cache_hit: log.cacheHit,
  metadata: log.metadata,
});
