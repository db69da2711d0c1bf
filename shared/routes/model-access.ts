import type { Principal } from "../auth/principal";
import { providerOfModel } from "../config/model-catalogue";
import { forbidden } from "../errors";
import { compileWildcard, isWildcard } from "../router/wildcard-routes";

/**
 * Whether a listed pattern (`*`, `openai/*`) covers a name: the name as asked for, or a
 * well-known model asked for without its provider (`gpt-4o` under `openai/*`), as LiteLLM checks.
 */
function patternAllows(pattern: string, model: string): boolean {
  const { matcher } = compileWildcard(pattern);
  if (matcher.test(model)) return true;
  const provider = providerOfModel(model);
  return provider !== undefined && matcher.test(`${provider}/${model}`);
}

/**
 * `models: []` allows every model; otherwise the name asked for must be listed, or match a listed
 * pattern (LiteLLM's semantics). A name served by a wildcard route is checked as asked for, never
 * as the route's pattern: a key allowed `gpt-4o` is not allowed everything `*` serves.
 */
const allows = (models: readonly string[], model: string): boolean =>
  models.length === 0 ||
  models.includes(model) ||
  models.some((listed) => isWildcard(listed) && patternAllows(listed, model));

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

/** Every concrete name the principal's lists grant (patterns left out): what `/v1/models` adds for it. */
export function grantedModels(principal: Principal): string[] {
  const names = restrictions(principal).flatMap(([, models]) => models.filter((m) => !isWildcard(m)));
  return [...new Set(names)];
}
