import { z } from "zod";
import { validate } from "../http/parse-body";

/*
 * The Anthropic Messages request, as far as the gateway translates it. Objects are loose because
 * clients send fields we do not map (cache_control, thinking, citations) and must not be rejected.
 */

const textBlock = z.looseObject({ type: z.literal("text"), text: z.string() });

const imageSource = z.discriminatedUnion(
  "type",
  [
    z.looseObject({ type: z.literal("base64"), media_type: z.string(), data: z.string() }),
    z.looseObject({ type: z.literal("url"), url: z.string() }),
  ],
  { error: 'expected image source type "base64" or "url"' },
);

const imageBlock = z.looseObject({ type: z.literal("image"), source: imageSource });

const toolUseBlock = z.looseObject({
  type: z.literal("tool_use"),
  id: z.string(),
  name: z.string(),
  input: z.record(z.string(), z.unknown()),
});

const toolResultBlock = z.looseObject({
  type: z.literal("tool_result"),
  tool_use_id: z.string(),
  content: z
    .union(
      [
        z.string(),
        z.array(
          z.discriminatedUnion("type", [textBlock, imageBlock], {
            error: 'expected tool result block type "text" or "image"',
          }),
        ),
      ],
      { error: "expected string or array of text and image blocks" },
    )
    .optional(),
  is_error: z.boolean().optional(),
});

// Thinking needs a provider-specific signature to be replayed, so it is accepted and dropped.
const thinkingBlock = z.looseObject({ type: z.literal("thinking") });
const redactedThinkingBlock = z.looseObject({ type: z.literal("redacted_thinking") });

const contentBlock = z.discriminatedUnion(
  "type",
  [textBlock, imageBlock, toolUseBlock, toolResultBlock, thinkingBlock, redactedThinkingBlock],
  {
    error:
      'expected content block type "text", "image", "tool_use", "tool_result", "thinking" or "redacted_thinking"',
  },
);

const message = z.looseObject({
  role: z.enum(["user", "assistant"]),
  content: z.union([z.string(), z.array(contentBlock)], {
    error: "expected string or array of content blocks",
  }),
});

const tool = z.looseObject({
  name: z.string().min(1),
  description: z.string().optional(),
  input_schema: z.record(z.string(), z.unknown()),
});

const parallelFlag = { disable_parallel_tool_use: z.boolean().optional() };
const toolChoice = z.discriminatedUnion(
  "type",
  [
    z.looseObject({ type: z.literal("auto"), ...parallelFlag }),
    z.looseObject({ type: z.literal("any"), ...parallelFlag }),
    z.looseObject({ type: z.literal("tool"), name: z.string(), ...parallelFlag }),
    z.looseObject({ type: z.literal("none") }),
  ],
  { error: 'expected tool_choice type "auto", "any", "tool" or "none"' },
);

export const messagesRequestSchema = z.looseObject({
  model: z.string().min(1),
  max_tokens: z.int().positive(),
  messages: z.array(message).min(1),
  system: z
    .union([z.string(), z.array(textBlock)], { error: "expected string or array of text blocks" })
    .optional(),
  tools: z.array(tool).optional(),
  tool_choice: toolChoice.optional(),
  stop_sequences: z.array(z.string()).optional(),
  temperature: z.number().min(0).max(1).optional(),
  top_p: z.number().min(0).max(1).optional(),
  top_k: z.int().nonnegative().optional(),
  stream: z.boolean().optional(),
  metadata: z.looseObject({ user_id: z.string().nullish() }).optional(),
});

export type MessagesRequest = z.infer<typeof messagesRequestSchema>;
export type MessageParam = MessagesRequest["messages"][number];
export type ContentBlock = z.infer<typeof contentBlock>;
export type TextBlock = z.infer<typeof textBlock>;
export type ImageBlock = z.infer<typeof imageBlock>;
export type ToolResultBlock = z.infer<typeof toolResultBlock>;
export type ToolChoiceParam = z.infer<typeof toolChoice>;

/** Validates a Messages API body; a failure is a 400 naming every bad field, `param` the first. */
export function parseMessagesRequest(body: unknown): MessagesRequest {
  return validate(messagesRequestSchema, body);
}
