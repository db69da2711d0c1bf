import type { Deployment } from "../config/deployment";
import { badRequest } from "../errors";
import type { ChatCompletion, ChatRequest } from "../openai/types";
import { providerFor } from "../providers/registry";
import type { Provider, ProviderContext, ProviderResult, ResponsesBody } from "../providers/types";
import { chatStreamToResponses } from "./chat-stream";
import { type ExpandedRequest, nativeOnly } from "./expand";
import { chatToResponse } from "./from-chat";
import { responsesToChat } from "./to-chat";

/**
 * What an upstream that speaks the Responses API is sent: the conversation spelled out and
 * `store: false`, so the gateway alone keeps state (any replica, any deployment can continue it)
 * and nothing is left at the provider. Metadata is the gateway's to echo.
 */
function nativeBody(request: ExpandedRequest): ResponsesBody {
  const { metadata: _metadata, ...rest } = request;
  return { ...rest, store: false };
}

async function viaChat(
  provider: Provider,
  chat: ChatRequest,
  d: Deployment,
  ctx: ProviderContext,
): Promise<ProviderResult> {
  const result = await provider.chat(chat, d, ctx);
  if (result.type === "stream") return { type: "stream", body: chatStreamToResponses(result.body) };
  const response = chatToResponse(JSON.parse(result.body) as ChatCompletion);
  return { type: "json", body: JSON.stringify(response), usage: result.usage };
}

export type ResponsesOperation = (
  provider: Provider,
) => (request: ExpandedRequest, d: Deployment, ctx: ProviderContext) => Promise<ProviderResult>;

/**
 * How each deployment of `group` serves a Responses request, checked before anything is admitted:
 * natively where its provider speaks the Responses API (OpenAI, Azure), else translated to chat
 * completions. A request needing the Responses API itself (built-in tools) is refused, naming
 * what needs it, unless every deployment of the group speaks it; one the translation cannot carry
 * is refused before any upstream sees it.
 */
export function responsesOperation(
  request: ExpandedRequest,
  group: readonly Deployment[] | undefined,
): ResponsesOperation {
  const translated = (group ?? []).filter((d) => providerFor(d.provider).responses === undefined);
  let chat: ChatRequest | undefined;
  if (translated.length > 0) {
    const needsNative = nativeOnly(request);
    if (needsNative !== undefined) {
      const providers = [...new Set(translated.map((d) => d.provider))].join(", ");
      throw badRequest(
        `${needsNative.what} needs the Responses API itself, which only OpenAI and Azure deployments serve; model "${request.model}" also routes to ${providers}`,
        needsNative.param,
        "unsupported_for_model",
      );
    }
    chat = responsesToChat(request);
  }
  return (provider) => (req, d, ctx) => {
    if (provider.responses !== undefined) return provider.responses(nativeBody(req), d, ctx);
    return viaChat(provider, chat ?? responsesToChat(req), d, ctx);
  };
}
