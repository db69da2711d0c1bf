import type { Deployment } from "../config/deployment";
import type { Usage } from "../openai/types";
import { type Price, priceOf } from "./price-table";

export type PricedDeployment = Pick<Deployment, "model" | "inputCostPerToken" | "outputCostPerToken">;

/**
 * The deployment's `model_info` prices when it sets either (the other then counts as 0, so a
 * deployment can declare itself free), else the list price of its upstream model.
 */
export function deploymentPrice(d: PricedDeployment): Price | undefined {
  if (d.inputCostPerToken !== undefined || d.outputCostPerToken !== undefined) {
    return { input: d.inputCostPerToken ?? 0, output: d.outputCostPerToken ?? 0 };
  }
  return priceOf(d.model);
}

// Upstream usage is parsed, not validated: embeddings report no completion_tokens at all, and a
// missing count must cost nothing rather than turn the spend into NaN.
const count = (tokens: number | undefined): number =>
  typeof tokens === "number" && Number.isFinite(tokens) && tokens > 0 ? tokens : 0;

/** USD for one response; 0 when the model's price is unknown. */
export function costOf(
  d: PricedDeployment,
  usage: Pick<Usage, "prompt_tokens" | "completion_tokens">,
): number {
  const price = deploymentPrice(d);
  if (price === undefined) return 0;
  return count(usage.prompt_tokens) * price.input + count(usage.completion_tokens) * price.output;
}
