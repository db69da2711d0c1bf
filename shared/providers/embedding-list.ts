import { badRequest } from "../errors";
import type { EmbeddingRequest, Usage } from "../openai/types";
import type { JsonResult } from "./types";

/** The texts of an embedding request, for upstreams that embed text and not token ids. */
export function textInputs(request: EmbeddingRequest, providerName: string): string[] {
  const inputs = typeof request.input === "string" ? [request.input] : request.input;
  if (!inputs.every((input): input is string => typeof input === "string"))
    throw badRequest(`input: ${providerName} embeds text, not token ids`, "input");
  return inputs;
}

/** Little-endian float32s in base64: what the openai SDKs ask for by default. */
function float32Base64(values: readonly number[]): string {
  const bytes = new Uint8Array(new Float32Array(values).buffer);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** OpenAI's embedding list for `vectors`, in the encoding the request asked for. */
export function embeddingList(
  request: EmbeddingRequest,
  vectors: readonly (readonly number[])[],
  model: string,
  promptTokens: number,
): JsonResult {
  const data = vectors.map((vector, index) => ({
    object: "embedding",
    index,
    embedding: request.encoding_format === "base64" ? float32Base64(vector) : vector,
  }));
  const usage: Usage = { prompt_tokens: promptTokens, completion_tokens: 0, total_tokens: promptTokens };
  const body = {
    object: "list",
    data,
    model,
    usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
  };
  return { type: "json", body: JSON.stringify(body), usage };
}
