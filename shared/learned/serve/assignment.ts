import type { Principal } from "../../auth/principal";
import { fnv1a } from "../features/tokens";
import type { Arm, LearnedGroup } from "../settings";

/** Who an A/B assignment sticks to: the caller's key (or user), else each request on its own. */
export function subjectOf(group: LearnedGroup, principal: Principal, requestId: string): string {
  if (group.assignBy === "request") return `request:${requestId}`;
  if (principal.kind !== "virtual_key") return principal.kind;
  const { key } = principal.context;
  if (group.assignBy === "user" && key.userId !== null) return `user:${key.userId}`;
  return `key:${principal.keyHash}`;
}

/**
 * The arm `subject` is assigned to in `groupName`: a hash of both, placed on the arms' cumulative
 * weights, so the same caller always gets the same arm (until the weights change) and each arm
 * gets its weight's share of callers. The group's name is in the hash so one caller is not in the
 * first arm of every experiment.
 */
export function assignArm(arms: readonly Arm[], subject: string, groupName: string): Arm {
  if (arms.length === 1) return arms[0] as Arm;
  const total = arms.reduce((sum, arm) => sum + arm.weight, 0);
  let point = (fnv1a(`${groupName}\u0000${subject}`) / 2 ** 32) * total;
  for (const arm of arms) {
    point -= arm.weight;
    if (point < 0) return arm;
  }
  return arms[arms.length - 1] as Arm;
}
