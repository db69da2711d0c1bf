import { z } from "zod";

/** Anthropic reports counts as absent or null depending on the event; both mean zero. */
const usageSchema = z.object({
  input_tokens: z.number().nullish(),
  output_tokens: z.number().nullish(),
  cache_creation_input_tokens: z.number().nullish(),
  cache_read_input_tokens: z.number().nullish(),
});

/**
 * Only text and tool_use blocks become OpenAI output; any other block (thinking, server tools,
 * kinds added later) parses as null so it is skipped instead of failing the whole response.
 */
const contentBlockSchema = z
  .union([
    z.object({ type: z.literal("text"), text: z.string() }),
    z.object({ type: z.literal("tool_use"), id: z.string(), name: z.string(), input: z.unknown() }),
  ])
  .nullable()
  .catch(null);

export const anthropicMessageSchema = z.object({
  id: z.string(),
  model: z.string(),
  content: z.array(contentBlockSchema),
  stop_reason: z.string().nullish(),
  usage: usageSchema,
});

const deltaSchema = z
  .union([
    z.object({ type: z.literal("text_delta"), text: z.string() }),
    z.object({ type: z.literal("input_json_delta"), partial_json: z.string() }),
  ])
  .nullable()
  .catch(null);

/** The stream events that carry information; ping, content_block_stop and unknown events fail to parse. */
export const anthropicStreamEventSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("message_start"),
    message: z.object({ id: z.string(), model: z.string(), usage: usageSchema }),
  }),
  z.object({ type: z.literal("content_block_start"), index: z.number(), content_block: contentBlockSchema }),
  z.object({ type: z.literal("content_block_delta"), index: z.number(), delta: deltaSchema }),
  z.object({
    type: z.literal("message_delta"),
    delta: z.object({ stop_reason: z.string().nullish() }),
    usage: usageSchema.optional(),
  }),
  z.object({ type: z.literal("message_stop") }),
  z.object({
    type: z.literal("error"),
    error: z.object({ type: z.string().optional(), message: z.string().optional() }).optional(),
  }),
]);

export type AnthropicUsage = z.infer<typeof usageSchema>;
export type AnthropicMessage = z.infer<typeof anthropicMessageSchema>;
export type AnthropicStreamEvent = z.infer<typeof anthropicStreamEventSchema>;
