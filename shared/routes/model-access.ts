import type { Principal } from "../auth/principal";
import { forbidden } from "../errors";

/** `models: []` allows every model; otherwise the group must be listed (LiteLLM's semantics). */
const allows = (models: readonly string[], model: string): boolean =>
  models.length === 0 || models.includes(model) || models.includes("*");

/** A virtual key may only use the models its key and its team allow. */
export function checkModelAccess(principal: Principal, model: string): void {
  if (principal.kind !== "virtual_key") return;
  const { key, team } = principal.context;
  for (const [owner, models] of [
    ["key", key.models],
    ["team", team?.models ?? []],
  ] as const) {
    if (!allows(models, model)) {
      throw forbidden(
        "model_not_allowed",
        `this ${owner} may not use model "${model}"; allowed: ${models.join(", ")}`,
        "model",
      );
    }
  }
}
