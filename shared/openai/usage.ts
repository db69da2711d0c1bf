import type { Usage } from "./types";

const count = (value: unknown): number | undefined =>
  typeof value === "number" && Number.isFinite(value) && value >= 0 ? Math.round(value) : undefined;

/**
 * An upstream's `usage`, if it is one: counts that are finite, non-negative numbers. Anything else
 * (a string, a negative count) is treated as no usage at all, so the gateway counts for itself
 * instead of charging nothing or failing on it.
 */
export function usageFrom(value: unknown): Usage | undefined {
  if (value === null || typeof value !== "object") return undefined;
  const { prompt_tokens, completion_tokens } = value as Record<string, unknown>;
  const prompt = count(prompt_tokens);
  // Embeddings report no completion_tokens at all.
  const completion = completion_tokens === undefined ? 0 : count(completion_tokens);
  if (prompt === undefined || completion === undefined) return undefined;
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}
