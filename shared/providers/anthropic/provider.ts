import type { Deployment } from "../../config/deployment";
import { UpstreamError } from "../../errors";
import type { Provider, ProviderContext } from "../types";
import { readUpstreamText } from "../upstream-body";
import { postUpstream } from "../upstream-fetch";
import { requestedSchema } from "./json-tool";
import { toAnthropicRequest } from "./request";
import { toChatCompletion } from "./response";
import { toChatChunkStream } from "./stream";
import { anthropicMessageSchema } from "./wire";

const NAME = "anthropic";
const DEFAULT_API_BASE = "https://api.anthropic.com";
const API_VERSION = "2023-06-01";

/** Accepts api_base with or without a trailing `/v1` (both spellings are common in configs). */
function messagesUrl(apiBase: string | undefined): string {
  const base = (apiBase ?? DEFAULT_API_BASE).replace(/\/+$/, "").replace(/\/v1$/, "");
  return `${base}/v1/messages`;
}

function headers(deployment: Deployment): Record<string, string> {
  return {
    "content-type": "application/json",
    "anthropic-version": API_VERSION,
    ...(deployment.apiKey === undefined ? {} : { "x-api-key": deployment.apiKey }),
    ...deployment.extraHeaders,
  };
}

/** Reading the body can still fail (timeout, dropped connection, garbage); all of it is the upstream's fault. */
async function readMessage(response: Response, ctx: ProviderContext) {
  const text = await readUpstreamText(response, ctx, NAME);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new UpstreamError("http", 502, `${NAME}: response body is not JSON`);
  }
  const parsed = anthropicMessageSchema.safeParse(json);
  if (!parsed.success) throw new UpstreamError("http", 502, `${NAME}: unexpected response shape`);
  return parsed.data;
}

export const anthropicProvider: Provider = {
  name: NAME,
  async chat(request, deployment, ctx) {
    const structured = requestedSchema(request) !== undefined;
    const body = JSON.stringify(toAnthropicRequest(request, deployment));
    const response = await postUpstream(
      messagesUrl(deployment.apiBase),
      headers(deployment),
      body,
      ctx,
      NAME,
    );
    if (request.stream) {
      if (response.body === null)
        throw new UpstreamError("network", 502, `${NAME}: stream response had no body`);
      return { type: "stream", body: toChatChunkStream(response.body, structured) };
    }
    const completion = toChatCompletion(await readMessage(response, ctx), structured);
    return { type: "json", body: JSON.stringify(completion), usage: completion.usage };
  },
};
