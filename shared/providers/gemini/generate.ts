import { UpstreamError } from "../../errors";
import type { ChatRequest } from "../../openai/types";
import type { ProviderContext, ProviderResult } from "../types";
import { readUpstreamJson } from "../upstream-body";
import { postUpstream } from "../upstream-fetch";
import { toGeminiRequest } from "./request";
import { toChatCompletion } from "./response";
import { googleRetryDelay } from "./retry-info";
import { toChatChunkStream } from "./stream";
import { generateContentResponseSchema } from "./wire";

/** Where a Gemini model lives: the Gemini API's `models/x` or Vertex AI's `publishers/google/models/x`. */
export interface GeminiModelEndpoint {
  /** The model's URL, to which `:generateContent` or `:streamGenerateContent?alt=sse` is appended. */
  readonly modelUrl: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** `generateContent` and its streaming form, shared by the Gemini API and Vertex AI. */
export async function generateContent(
  request: ChatRequest,
  model: string,
  endpoint: GeminiModelEndpoint,
  ctx: ProviderContext,
  name: string,
): Promise<ProviderResult> {
  const body = JSON.stringify(toGeminiRequest(request));
  const url = request.stream
    ? `${endpoint.modelUrl}:streamGenerateContent?alt=sse`
    : `${endpoint.modelUrl}:generateContent`;
  const headers = { "content-type": "application/json", ...endpoint.headers };
  const response = await postUpstream(url, headers, body, ctx, name, googleRetryDelay);
  if (request.stream) {
    if (response.body === null)
      throw new UpstreamError("network", 502, `${name}: stream response had no body`);
    return { type: "stream", body: toChatChunkStream(response.body, model, name) };
  }
  const completion = toChatCompletion(
    await readUpstreamJson(response, ctx, name, generateContentResponseSchema),
    model,
  );
  return { type: "json", body: JSON.stringify(completion), usage: completion.usage };
}
