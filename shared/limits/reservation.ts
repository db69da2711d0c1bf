import type { Deployment } from "../config/deployment";
import { costOf } from "../spend/cost";
import { imageTokensOf } from "../spend/image-limits";
import { outputLimitOf } from "../spend/output-limits";
import { contextWindowOf } from "../spend/price-table";
import type { Reservation } from "./limiter";

/**
 * Output tokens assumed per completion when neither the request, the deployment nor the model
 * catalogue says: a reservation is a bound only up to this for such a model (see the README).
 */
export const DEFAULT_OUTPUT_LIMIT = 4_096;

/**
 * The prompt tokens a request with attachments billed beyond their bytes is reserved at when its
 * model's context window is unknown: the largest window offered (Gemini's 2 M).
 */
export const UNKNOWN_INPUT_WINDOW = 2_097_152;

/** The most input a deployment bills for one request: its context window, the catalogue's, else the largest offered. */
const inputWindowOf = (d: Deployment): number =>
  d.maxInputTokens ?? contextWindowOf(d.model, d.provider) ?? UNKNOWN_INPUT_WINDOW;

/** What a request could make an upstream produce. */
export interface RequestSize {
  /** The prompt at its most, images aside (`promptBound`): what no tokenizer counts more of. */
  readonly promptTokens: number;
  /** Images in the prompt, each reserved at the most its deployment's model bills for one. */
  readonly images: number;
  /**
   * Attachments billed beyond their bytes (`promptBound`'s `fetched`): with any, the prompt is
   * reserved at no less than the deployment's context window, the most its input can be billed at.
   */
  readonly fetched?: number;
  /** Completions generated (`n`, or `best_of`, which is billed in full); 0 for embeddings. */
  readonly completions: number;
  /** The request's own limit per completion (`max_completion_tokens`, `max_tokens`). */
  readonly maxOutputTokens: number | undefined;
}

/** One completion's output bound on a deployment: the tighter of the request's and the model's. */
function outputBound(d: Deployment, requested: number | undefined): number {
  const model = d.maxOutputTokens ?? outputLimitOf(d.model);
  if (requested === undefined) return model ?? DEFAULT_OUTPUT_LIMIT;
  return model === undefined ? requested : Math.min(requested, model);
}

/**
 * The most a request could cost and use on any deployment that may serve it (fallbacks
 * included): what a budget and tpm reservation holds until the real usage is known.
 */
export function reservationFor(deployments: readonly Deployment[], size: RequestSize): Reservation {
  let cost = 0;
  let tokens = 0;
  for (const d of deployments) {
    const bytes = size.promptTokens + size.images * imageTokensOf(d.model);
    const prompt = (size.fetched ?? 0) > 0 ? Math.max(bytes, inputWindowOf(d)) : bytes;
    const completion = size.completions === 0 ? 0 : size.completions * outputBound(d, size.maxOutputTokens);
    cost = Math.max(cost, costOf(d, { prompt_tokens: prompt, completion_tokens: completion }));
    tokens = Math.max(tokens, prompt + completion);
  }
  return { cost, tokens };
}
