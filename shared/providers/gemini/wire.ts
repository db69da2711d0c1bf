import { z } from "zod";

/**
 * Google's `GenerateContentResponse` (Gemini API and Vertex AI alike), as far as the gateway reads
 * it. Parts other than text and function calls (executable code, inline data) parse as null and
 * are skipped; `thought` text is the model's reasoning, never its answer.
 */
const partSchema = z
  .union([
    z.object({ text: z.string(), thought: z.boolean().nullish(), thoughtSignature: z.string().nullish() }),
    z.object({
      functionCall: z.object({ name: z.string(), args: z.record(z.string(), z.unknown()).nullish() }),
      thoughtSignature: z.string().nullish(),
    }),
  ])
  .nullable()
  .catch(null);

const candidateSchema = z.object({
  index: z.number().int().nonnegative().nullish(),
  content: z.object({ parts: z.array(partSchema).nullish() }).nullish(),
  finishReason: z.string().nullish(),
});

const usageSchema = z.object({
  promptTokenCount: z.number().nullish(),
  candidatesTokenCount: z.number().nullish(),
  thoughtsTokenCount: z.number().nullish(),
  toolUsePromptTokenCount: z.number().nullish(),
});

export const generateContentResponseSchema = z.object({
  candidates: z.array(candidateSchema).nullish(),
  promptFeedback: z.object({ blockReason: z.string().nullish() }).nullish(),
  usageMetadata: usageSchema.nullish(),
  modelVersion: z.string().nullish(),
  responseId: z.string().nullish(),
});

/** What a stream sends instead of a chunk when it fails part way. */
export const streamErrorSchema = z.object({
  error: z.object({ code: z.number().int().optional(), message: z.string().optional() }),
});

/** `batchEmbedContents` (Gemini API). */
export const batchEmbedResponseSchema = z.object({
  embeddings: z.array(z.object({ values: z.array(z.number()) })),
});

/** `predict` on a Vertex AI text-embedding model. */
export const vertexPredictResponseSchema = z.object({
  predictions: z.array(
    z.object({
      embeddings: z.object({
        values: z.array(z.number()),
        statistics: z.object({ token_count: z.number().nullish() }).nullish(),
      }),
    }),
  ),
});

export type GeminiPart = z.infer<typeof partSchema>;
export type GeminiCandidate = z.infer<typeof candidateSchema>;
export type GeminiUsage = z.infer<typeof usageSchema>;
export type GenerateContentResponse = z.infer<typeof generateContentResponseSchema>;
