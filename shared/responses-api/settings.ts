import { z } from "zod";

const MIB = 1024 * 1024;

/**
 * `general_settings` keys for stored responses (the Responses API's conversation state). Ours, not
 * LiteLLM's: how long a stored response lives after its conversation was last continued, how large
 * one conversation may grow, and how much one API key may store in one such period.
 */
export const responsesSettingsSchema = z.object({
  responses_store_ttl: z
    .number()
    .positive()
    .max(30 * 86_400, { message: "expected at most 2592000 seconds (30 days)" })
    .default(86_400),
  responses_max_conversation_mb: z.number().positive().max(64).default(4),
  responses_store_mb_per_key: z.number().positive().max(65_536).default(256),
});

export interface ResponsesSettings {
  /** How long a stored response lives, renewed for a whole conversation each time it continues. */
  readonly ttlMs: number;
  /** The most JSON text one conversation (every stored turn, inputs and outputs) may hold. */
  readonly maxConversationChars: number;
  /** What one key may store per `ttlMs` window, in characters of JSON. */
  readonly quotaChars: number;
}

export function toResponsesSettings(parsed: z.infer<typeof responsesSettingsSchema>): ResponsesSettings {
  return Object.freeze({
    ttlMs: Math.round(parsed.responses_store_ttl * 1000),
    maxConversationChars: Math.floor(parsed.responses_max_conversation_mb * MIB),
    quotaChars: Math.floor(parsed.responses_store_mb_per_key * MIB),
  });
}
