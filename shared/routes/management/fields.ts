import { z } from "zod";
import { durationSchema, nextReset } from "../../keys/duration";
import { objectPermissionSchema } from "../../keys/object-permission";
import type { LimitFields } from "../../store/tables/limits";

// The limit columns are PostgreSQL `integer`; larger values would fail in the database instead.
const INT4_MAX = 2_147_483_647;
const positiveInt = z.number().int().positive().max(INT4_MAX);

export const idSchema = z.string().trim().min(1).max(256);
export const aliasSchema = z.string().trim().min(1).max(256);
export const spendSchema = z.number().nonnegative();

/** The budget and rate-limit fields keys, teams and users accept; `null` clears one. */
export const limitFields = {
  models: z.array(z.string().trim().min(1)).max(1000).optional(),
  max_budget: z.number().nonnegative().nullable().optional(),
  budget_duration: durationSchema.nullable().optional(),
  rpm_limit: positiveInt.nullable().optional(),
  tpm_limit: positiveInt.nullable().optional(),
  max_parallel_requests: positiveInt.nullable().optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  object_permission: objectPermissionSchema.optional(),
};

const limitInput = z.object(limitFields);
type LimitInput = z.infer<typeof limitInput>;

/**
 * The stored form of the limit fields a request set. Setting `budget_duration` starts a fresh
 * window: the budget next resets one duration from now.
 */
export function limitPatch(input: LimitInput, now: Date): Partial<LimitFields> {
  const duration = input.budget_duration;
  return {
    models: input.models,
    maxBudget: input.max_budget,
    budgetDuration: duration,
    budgetResetAt: duration === undefined || duration === null ? duration : nextReset(now, duration),
    rpmLimit: input.rpm_limit,
    tpmLimit: input.tpm_limit,
    maxParallelRequests: input.max_parallel_requests,
    metadata: input.metadata,
    objectPermission: input.object_permission,
  };
}

/** A positive whole number sent in a query string. */
export const queryInt = (max: number) =>
  z
    .string()
    .regex(/^[0-9]+$/, "expected a whole number")
    .transform(Number)
    .pipe(z.number().int().min(1).max(max));

export const queryBool = z.enum(["true", "false"]).transform((value) => value === "true");
