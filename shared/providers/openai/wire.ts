import type { Deployment } from "../../config/deployment";
import type { Usage } from "../../openai/types";
import { usageFrom } from "../../openai/usage";
import { toChatUsage } from "../../responses-api/from-chat";
import type { JsonResult, Provider, ProviderContext, ProviderResult, ResponsesBody } from "../types";
import { readUpstreamText } from "../upstream-body";
import { postUpstream } from "../upstream-fetch";

/** How one OpenAI-wire host differs from another: where operations live and how it authenticates. */
export interface OpenAIWireSpec {
  readonly name: string;
  readonly url: (
    deployment: Deployment,
    path: "/chat/completions" | "/completions" | "/embeddings",
  ) => string;
  readonly authHeaders: (deployment: Deployment) => Record<string, string>;
  /** Where the host serves the Responses API; a host without one is served it through chat. */
  readonly responsesUrl?: (deployment: Deployment) => string;
}

function usageOf(text: string): Usage | undefined {
  try {
    return usageFrom((JSON.parse(text) as { usage?: unknown }).usage);
  } catch {
    return undefined;
  }
}

function responsesUsageOf(text: string): Usage | undefined {
  try {
    return toChatUsage((JSON.parse(text) as { usage?: unknown }).usage);
  } catch {
    return undefined;
  }
}

/**
 * A provider for any host speaking the OpenAI wire format. The request body is re-serialised once
 * (its `model` becomes the upstream name); responses pass through as the upstream wrote them.
 */
export function openAIWireProvider(spec: OpenAIWireSpec): Provider {
  const headersFor = (d: Deployment): Record<string, string> => ({
    "content-type": "application/json",
    ...spec.authHeaders(d),
    ...d.extraHeaders,
  });

  async function send(
    path: "/chat/completions" | "/completions" | "/embeddings",
    request: { stream?: boolean; [key: string]: unknown },
    d: Deployment,
    ctx: ProviderContext,
  ): Promise<ProviderResult> {
    // Usage is always requested on streams: the gateway needs it for metrics and spend.
    const body = request.stream
      ? {
          ...request,
          model: d.model,
          stream_options: { ...(request.stream_options as object), include_usage: true },
        }
      : { ...request, model: d.model };
    const response = await postUpstream(
      spec.url(d, path),
      headersFor(d),
      JSON.stringify(body),
      ctx,
      spec.name,
    );
    if (request.stream && response.body !== null) return { type: "stream", body: response.body };
    const text = await readUpstreamText(response, ctx, spec.name);
    return { type: "json", body: text, usage: usageOf(text) };
  }

  const responsesUrl = spec.responsesUrl;
  const responses = async (
    request: ResponsesBody,
    d: Deployment,
    ctx: ProviderContext,
    url: (d: Deployment) => string,
  ): Promise<ProviderResult> => {
    const body = JSON.stringify({ ...request, model: d.model });
    const response = await postUpstream(url(d), headersFor(d), body, ctx, spec.name);
    if (request.stream && response.body !== null) return { type: "stream", body: response.body };
    const text = await readUpstreamText(response, ctx, spec.name);
    return { type: "json", body: text, usage: responsesUsageOf(text) };
  };

  return Object.freeze<Provider>({
    name: spec.name,
    chat: (request, d, ctx) => send("/chat/completions", request, d, ctx),
    completion: (request, d, ctx) => send("/completions", request, d, ctx),
    embedding: async (request, d, ctx) => (await send("/embeddings", request, d, ctx)) as JsonResult,
    ...(responsesUrl === undefined
      ? {}
      : { responses: (request, d, ctx) => responses(request, d, ctx, responsesUrl) }),
  });
}
