import type { Deployment } from "../../config/deployment";
import { UpstreamError } from "../../errors";
import type { ChatRequest } from "../../openai/types";
import { toAnthropicRequest } from "../anthropic/request";
import { toChatCompletion as anthropicToChat } from "../anthropic/response";
import { toChatChunkStream as anthropicChunks } from "../anthropic/stream";
import { anthropicMessageSchema } from "../anthropic/wire";
import { embeddingList, textInputs } from "../embedding-list";
import { generateContent } from "../gemini/generate";
import { googleRetryDelay } from "../gemini/retry-info";
import { vertexPredictResponseSchema } from "../gemini/wire";
import type { Provider, ProviderContext, ProviderResult } from "../types";
import { readUpstreamJson } from "../upstream-body";
import { postUpstream } from "../upstream-fetch";
import { authorizationFor, projectFor } from "./credentials";

const NAME = "vertex_ai";
const DEFAULT_LOCATION = "us-central1";
/** What Anthropic's models on Vertex AI take in place of the `anthropic-version` header. */
const ANTHROPIC_VERSION = "vertex-2023-10-16";

/** Claude models on Vertex AI are Anthropic's publisher and speak the Messages API. */
const isClaude = (model: string): boolean => model.startsWith("claude");

async function modelUrl(d: Deployment, publisher: "google" | "anthropic"): Promise<string> {
  const location = String(d.params.vertex_location ?? d.params.vertex_ai_location ?? DEFAULT_LOCATION);
  const host =
    location === "global"
      ? "https://aiplatform.googleapis.com"
      : `https://${location}-aiplatform.googleapis.com`;
  const base = (d.apiBase ?? host).replace(/\/+$/, "").replace(/\/v1(beta1)?$/, "");
  const project = encodeURIComponent(await projectFor(d));
  // Vertex names versions with `@` (claude-sonnet-4-5@20250929), which stays as written.
  const model = encodeURIComponent(d.model).replaceAll("%40", "@");
  return `${base}/v1/projects/${project}/locations/${location}/publishers/${publisher}/models/${model}`;
}

async function headers(d: Deployment): Promise<Record<string, string>> {
  return { authorization: await authorizationFor(d), ...d.extraHeaders };
}

/** Claude through the Anthropic provider's translation, posted to rawPredict / streamRawPredict. */
async function claudeChat(
  request: ChatRequest,
  d: Deployment,
  ctx: ProviderContext,
): Promise<ProviderResult> {
  const { model: _model, ...anthropic } = toAnthropicRequest(request, d);
  const body = JSON.stringify({ ...anthropic, anthropic_version: ANTHROPIC_VERSION });
  const url = `${await modelUrl(d, "anthropic")}:${request.stream ? "streamRawPredict" : "rawPredict"}`;
  const response = await postUpstream(
    url,
    { "content-type": "application/json", ...(await headers(d)) },
    body,
    ctx,
    NAME,
    googleRetryDelay,
  );
  if (request.stream) {
    if (response.body === null)
      throw new UpstreamError("network", 502, `${NAME}: stream response had no body`);
    return { type: "stream", body: anthropicChunks(response.body) };
  }
  const completion = anthropicToChat(await readUpstreamJson(response, ctx, NAME, anthropicMessageSchema));
  return { type: "json", body: JSON.stringify(completion), usage: completion.usage };
}

/**
 * Vertex AI (`vertex_ai/<model>`): Gemini models through generateContent, Claude through the
 * Anthropic Messages API Vertex hosts, text-embedding models through predict. Authorised with a
 * service account key (`vertex_credentials`) or Application Default Credentials; `vertex_project`
 * and `vertex_location` (default us-central1) pick the endpoint.
 */
export const vertexProvider: Provider = {
  name: NAME,
  async chat(request, d, ctx) {
    if (isClaude(d.model)) return claudeChat(request, d, ctx);
    const endpoint = { modelUrl: await modelUrl(d, "google"), headers: await headers(d) };
    return generateContent(request, d.model, endpoint, ctx, NAME);
  },
  async embedding(request, d, ctx) {
    const texts = textInputs(request, NAME);
    const body = JSON.stringify({
      instances: texts.map((content) => ({ content })),
      ...(request.dimensions === undefined
        ? {}
        : { parameters: { outputDimensionality: request.dimensions } }),
    });
    const response = await postUpstream(
      `${await modelUrl(d, "google")}:predict`,
      { "content-type": "application/json", ...(await headers(d)) },
      body,
      ctx,
      NAME,
      googleRetryDelay,
    );
    const { predictions } = await readUpstreamJson(response, ctx, NAME, vertexPredictResponseSchema);
    const prompt = predictions.reduce((sum, p) => sum + (p.embeddings.statistics?.token_count ?? 0), 0);
    return embeddingList(
      request,
      predictions.map((p) => p.embeddings.values),
      d.model,
      prompt,
    );
  },
};
