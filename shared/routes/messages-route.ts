import { Hono } from "hono";
import type { GatewayEnv } from "../http/env";
import { readJson } from "../http/parse-body";
import { chatToMessage } from "../messages-api/from-chat";
import { parseMessagesRequest } from "../messages-api/schema";
import { chatStreamToMessages } from "../messages-api/stream";
import { messagesToChat } from "../messages-api/to-chat";
import { SSE_HEADERS } from "../openai/sse";
import { estimateChatTokens } from "../openai/token-estimate";
import type { ChatCompletion } from "../openai/types";
import { chatPrompt } from "../tokens/prompt-tokens";
import { callModel } from "./call-model";

/**
 * `POST /v1/messages`: the Anthropic Messages API in front of any configured model, so Claude
 * Code and the Anthropic SDKs can use the gateway. Translated to the OpenAI format, routed like
 * any chat request, and translated back (streams event by event).
 */
export function messagesRoute(): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  app.post("/messages", async (c) => {
    const anthropicRequest = parseMessagesRequest(await readJson(c));
    const request = messagesToChat(anthropicRequest);
    const served = await callModel(c, {
      request,
      estimatedTokens: estimateChatTokens(request),
      prompt: () => chatPrompt(request),
      operation: (p) => p.chat.bind(p),
      operationName: "messages",
      route: "chat",
      endpoint: "messages",
    });
    if (served.type === "stream") {
      return c.body(chatStreamToMessages(served.body, anthropicRequest.model), 200, { ...SSE_HEADERS });
    }
    const completion = JSON.parse(served.body) as ChatCompletion;
    return c.json(chatToMessage(completion, anthropicRequest.model));
  });
  return app;
}
