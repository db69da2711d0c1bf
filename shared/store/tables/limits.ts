import type { ObjectPermission } from "../../keys/object-permission";
import type { ColumnMap } from "./columns";

/** The budget and rate-limit columns keys, teams and users share. */
export interface LimitFields {
  models: string[];
  maxBudget: number | null;
  budgetDuration: string | null;
  budgetResetAt: Date | null;
  spend: number;
  rpmLimit: number | null;
  tpmLimit: number | null;
  maxParallelRequests: number | null;
  metadata: Record<string, unknown>;
  /** Which MCP servers, tools and A2A agents may be used (LiteLLM's `object_permission`). */
  objectPermission: ObjectPermission;
}

export const LIMIT_COLUMNS: ColumnMap<LimitFields> = {
  models: "models",
  maxBudget: "max_budget",
  budgetDuration: "budget_duration",
  budgetResetAt: "budget_reset_at",
  spend: "spend",
  rpmLimit: "rpm_limit",
  tpmLimit: "tpm_limit",
  maxParallelRequests: "max_parallel_requests",
  metadata: "metadata",
  objectPermission: "object_permission",
};

/** Fields the database stamps itself. */
export interface Timestamps {
  createdAt: Date;
  updatedAt: Date;
}

export const TIMESTAMP_COLUMNS: ColumnMap<Timestamps> = { createdAt: "created_at", updatedAt: "updated_at" };
