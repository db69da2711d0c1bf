import type { Deployment } from "../config/deployment";
import type { Usage } from "../openai/types";
import { type Price, priceOf } from "./price-table";

export type PricedDeployment = Pick<Deployment, "model" | "inputCostPerToken" | "outputCostPerToken"> &
  Partial<Pick<Deployment, "provider">>;

/**
 * The deployment's `model_info` prices when it sets either (the other then counts as 0, so a
 * deployment can declare itself free), else the catalogue's price of its upstream model.
 */
export function deploymentPrice(d: PricedDeployment): Price | undefined {
  if (d.inputCostPerToken !== undefined || d.outputCostPerToken !== undefined) {
    return { input: d.inputCostPerToken ?? 0, output: d.outputCostPerToken ?? 0 };
  }
  return priceOf(d.model, d.provider);
}

// Upstream usage is parsed, not validated: embeddings report no completion_tokens at all, and a
// missing count must cost nothing rather than turn the spend into NaN.
const count = (tokens: unknown): number =>
  typeof tokens === "number" && Number.isFinite(tokens) && tokens > 0 ? tokens : 0;

/** Usage as OpenAI reports it, with the prompt tokens its cache served when it says so. */
export type PricedUsage = Pick<Usage, "prompt_tokens" | "completion_tokens"> & {
  readonly prompt_tokens_details?: { readonly cached_tokens?: number } | null;
};

/**
 * USD for one response; 0 when the model's price is unknown. Prompt tokens read from the
 * provider's cache cost the catalogue's cache-read price when it lists one.
 */
export function costOf(d: PricedDeployment, usage: PricedUsage): number {
  const price = deploymentPrice(d);
  if (price === undefined) return 0;
  const prompt = count(usage.prompt_tokens);
  const cached =
    price.cacheRead === undefined ? 0 : Math.min(prompt, count(usage.prompt_tokens_details?.cached_tokens));
  return (
    (prompt - cached) * price.input +
    cached * (price.cacheRead ?? 0) +
    count(usage.completion_tokens) * price.output
  );
}
