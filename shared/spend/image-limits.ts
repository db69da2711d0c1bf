import { IMAGE_TOKENS_BOUND } from "../openai/token-estimate";
import { lookupHostedModel } from "./price-table";

/**
 * The most prompt tokens one image costs on models known to bill more than IMAGE_TOKENS_BOUND
 * (1,600: Anthropic's largest image, GPT-4o's 1,445 at high detail), from OpenAI's vision pricing.
 * gpt-4o-mini bills an image at about 33 times GPT-4o's tokens, at its lower price: 2,833 plus
 * 5,667 for each of up to 8 tiles. The patch-billed models count up to 1,536 32-pixel patches
 * times a multiplier. An image sent by URL says nothing of its size, so a reservation holds this.
 */
export const IMAGE_TOKEN_LIMITS: Readonly<Record<string, number>> = Object.freeze({
  "gpt-4o-mini": 2_833 + 8 * 5_667,
  "gpt-4.1-mini": Math.ceil(1_536 * 1.62),
  "gpt-4.1-nano": Math.ceil(1_536 * 2.46),
  "gpt-5-mini": Math.ceil(1_536 * 1.62),
  "gpt-5-nano": Math.ceil(1_536 * 2.46),
  "o4-mini": Math.ceil(1_536 * 1.72),
});

/** The most tokens one image costs on an upstream model, as `lookupHostedModel` resolves it. */
export const imageTokensOf = (model: string): number =>
  lookupHostedModel(IMAGE_TOKEN_LIMITS, model) ?? IMAGE_TOKENS_BOUND;
