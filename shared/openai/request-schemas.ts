import { z } from "zod";

/**
 * The fields of OpenAI requests the gateway relies on. Objects are loose: every other field
 * passes through to the provider untouched.
 */
const nullableNumber = (min: number, max: number) => z.number().min(min).max(max).nullish();
const stop = z.union([z.string(), z.array(z.string()).max(4)]).nullish();
const streamOptions = z.looseObject({ include_usage: z.boolean().optional() }).nullish();

const contentPart = z.looseObject({ type: z.string() });

const message = z.looseObject({
  role: z.enum(["system", "developer", "user", "assistant", "tool", "function"]),
  content: z.union([z.string(), z.array(contentPart)]).nullish(),
  tool_calls: z
    .array(
      z.looseObject({
        id: z.string(),
        type: z.literal("function"),
        function: z.looseObject({ name: z.string(), arguments: z.string() }),
      }),
    )
    .optional(),
  tool_call_id: z.string().optional(),
});

const tool = z.looseObject({
  type: z.literal("function"),
  function: z.looseObject({
    name: z.string().min(1),
    description: z.string().optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
  }),
});

export const chatRequestSchema = z.looseObject({
  model: z.string().min(1),
  messages: z.array(message).min(1, { message: "expected at least one message" }),
  stream: z.boolean().nullish(),
  stream_options: streamOptions,
  max_tokens: z.number().int().positive().nullish(),
  max_completion_tokens: z.number().int().positive().nullish(),
  temperature: nullableNumber(0, 2),
  top_p: nullableNumber(0, 1),
  n: z.number().int().min(1).max(128).nullish(),
  stop,
  tools: z.array(tool).optional(),
  tool_choice: z
    .union([
      z.enum(["none", "auto", "required"]),
      z.looseObject({ type: z.literal("function"), function: z.looseObject({ name: z.string() }) }),
    ])
    .optional(),
  user: z.string().optional(),
});

const promptSchema = z.union([
  z.string(),
  z.array(z.string()),
  z.array(z.number()),
  z.array(z.array(z.number())),
]);

export const completionRequestSchema = z.looseObject({
  model: z.string().min(1),
  prompt: promptSchema,
  stream: z.boolean().nullish(),
  stream_options: streamOptions,
  max_tokens: z.number().int().positive().nullish(),
  temperature: nullableNumber(0, 2),
  stop,
  n: z.number().int().min(1).max(128).nullish(),
  best_of: z.number().int().min(1).max(128).nullish(),
});

export const embeddingRequestSchema = z.looseObject({
  model: z.string().min(1),
  // OpenAI's own bound on inputs per request.
  input: z.union([
    z.string(),
    z.array(z.string()).min(1).max(2_048),
    z.array(z.number()).min(1),
    z.array(z.array(z.number())).min(1).max(2_048),
  ]),
  encoding_format: z.enum(["float", "base64"]).optional(),
  // The largest embedding models have 4,096 dimensions; the bound keeps a mistyped (or hostile)
  // value from reaching an upstream that would try to allocate it.
  dimensions: z.number().int().positive().max(8_192).optional(),
});
