import { z } from "zod";

/**
 * Bedrock's Converse API output as the AWS SDK decodes it, as far as the gateway reads it. Blocks
 * other than text and toolUse (reasoning, citations, kinds added later) parse as null and are
 * skipped instead of failing the answer.
 */
const usageSchema = z.object({
  inputTokens: z.number().nullish(),
  outputTokens: z.number().nullish(),
  cacheReadInputTokens: z.number().nullish(),
  cacheWriteInputTokens: z.number().nullish(),
});

const contentBlockSchema = z
  .union([
    z.object({ text: z.string() }),
    z.object({ toolUse: z.object({ toolUseId: z.string(), name: z.string(), input: z.unknown() }) }),
  ])
  .nullable()
  .catch(null);

export const converseOutputSchema = z.object({
  output: z.object({
    message: z.object({ content: z.array(contentBlockSchema) }).nullish(),
  }),
  stopReason: z.string().nullish(),
  usage: usageSchema.nullish(),
  $metadata: z.object({ requestId: z.string().nullish() }).nullish(),
});

const startSchema = z
  .object({ toolUse: z.object({ toolUseId: z.string(), name: z.string() }) })
  .nullable()
  .catch(null);

const deltaSchema = z
  .union([z.object({ text: z.string() }), z.object({ toolUse: z.object({ input: z.string() }) })])
  .nullable()
  .catch(null);

/** One ConverseStream event: the SDK gives each as an object with a single member set. */
export const converseStreamEventSchema = z.object({
  messageStart: z.object({ role: z.string().nullish() }).nullish(),
  contentBlockStart: z.object({ contentBlockIndex: z.number(), start: startSchema }).nullish(),
  contentBlockDelta: z.object({ contentBlockIndex: z.number(), delta: deltaSchema }).nullish(),
  messageStop: z.object({ stopReason: z.string().nullish() }).nullish(),
  metadata: z.object({ usage: usageSchema.nullish() }).nullish(),
});

export type ConverseUsage = z.infer<typeof usageSchema>;
export type ConverseOutput = z.infer<typeof converseOutputSchema>;
export type ConverseStreamEvent = z.infer<typeof converseStreamEventSchema>;
