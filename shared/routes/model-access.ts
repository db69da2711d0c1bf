import type { Principal } from "../auth/principal";
import { forbidden } from "../errors";

/** `models: []` allows every model; otherwise the group must be listed (LiteLLM's semantics). */
const allows = (models: readonly string[], model: string): boolean =>
  models.length === 0 || models.includes(model) || models.includes("*");

const ALL = (): boolean => true;

/** Whose `models` list a virtual key's requests must satisfy: all of them at once. */
function restrictions(principal: Principal): ReadonlyArray<readonly [string, readonly string[]]> {
  if (principal.kind !== "virtual_key") return [];
  const { key, team, user } = principal.context;
  return [
    ["key", key.models],
    ["team", team?.models ?? []],
    ["user", user?.models ?? []],
  ];
}

/**
 * Which model groups a principal may be served by: for a virtual key, those its key, its team and
 * its user all allow. Fallbacks are groups like any other: a key allowed only `a` is never answered
 * by `a`'s fallback `b`.
 */
export function modelAccess(principal: Principal): (group: string) => boolean {
  const lists = restrictions(principal).filter(([, models]) => models.length > 0);
  if (lists.length === 0) return ALL;
  return (group) => lists.every(([, models]) => allows(models, group));
}

/** Refuses a model the principal may not use, naming whose list refused it. */
export function checkModelAccess(principal: Principal, model: string): void {
  for (const [owner, models] of restrictions(principal)) {
    if (!allows(models, model)) {
      throw forbidden(
        "model_not_allowed",
        `this ${owner} may not use model "${model}"; allowed: ${models.join(", ")}`,
        "model",
      );
    }
  }
}
