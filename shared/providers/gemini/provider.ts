import type { Deployment } from "../../config/deployment";
import { countTokens } from "../../tokens/count-tokens";
import { embeddingList, textInputs } from "../embedding-list";
import type { Provider } from "../types";
import { readUpstreamJson } from "../upstream-body";
import { postUpstream } from "../upstream-fetch";
import { generateContent } from "./generate";
import { googleRetryDelay } from "./retry-info";
import { batchEmbedResponseSchema } from "./wire";

const NAME = "gemini";
const DEFAULT_API_BASE = "https://generativelanguage.googleapis.com";

/** `models/<model>` on the Gemini API; api_base may be given with or without its version. */
function modelPath(d: Deployment): { url: string; name: string } {
  const base = (d.apiBase ?? DEFAULT_API_BASE).replace(/\/+$/, "").replace(/\/v1(beta)?$/, "");
  const name = d.model.startsWith("models/") ? d.model : `models/${d.model}`;
  return { url: `${base}/v1beta/${name}`, name };
}

/** The key travels in a header, never the URL, which proxies and logs keep. */
const headers = (d: Deployment): Record<string, string> => ({
  ...(d.apiKey === undefined ? {} : { "x-goog-api-key": d.apiKey }),
  ...d.extraHeaders,
});

/** Google AI Studio's Gemini API (`gemini/<model>`), with an API key (`api_key`, else GEMINI_API_KEY). */
export const geminiProvider: Provider = {
  name: NAME,
  chat(request, d, ctx) {
    return generateContent(request, d.model, { modelUrl: modelPath(d).url, headers: headers(d) }, ctx, NAME);
  },
  async embedding(request, d, ctx) {
    const texts = textInputs(request, NAME);
    const model = modelPath(d);
    const body = JSON.stringify({
      requests: texts.map((text) => ({
        model: model.name,
        content: { parts: [{ text }] },
        outputDimensionality: request.dimensions,
      })),
    });
    const response = await postUpstream(
      `${model.url}:batchEmbedContents`,
      { "content-type": "application/json", ...headers(d) },
      body,
      ctx,
      NAME,
      googleRetryDelay,
    );
    const { embeddings } = await readUpstreamJson(response, ctx, NAME, batchEmbedResponseSchema);
    // The Gemini API does not report what an embedding used; the tokenizer's count is charged.
    const counts = await Promise.all(texts.map(countTokens));
    const prompt = counts.reduce((sum, count) => sum + count, 0);
    return embeddingList(
      request,
      embeddings.map((e) => e.values),
      d.model,
      prompt,
    );
  },
};
