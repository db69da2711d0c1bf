import { Hono } from "hono";
import type { GatewayEnv } from "../http/env";
import { readJson, validate } from "../http/parse-body";
import {
  chatRequestSchema,
  completionRequestSchema,
  embeddingRequestSchema,
} from "../openai/request-schemas";
import { estimateChatTokens, estimateTokens } from "../openai/token-estimate";
import type { ChatRequest, CompletionRequest, EmbeddingRequest } from "../openai/types";
import { listedModels, resolveModel } from "../router/wildcard-routes";
import { chatPrompt, completionPrompt, embeddingPrompt } from "../tokens/prompt-tokens";
import { callModel } from "./call-model";
import { grantedModels, modelAccess } from "./model-access";
import { respond } from "./respond";

/** The OpenAI API surface; mounted under `/v1` and at the root, as OpenAI-compatible clients expect both. */
export function openAIRoutes(): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();

  app.post("/chat/completions", async (c) => {
    const request = validate(chatRequestSchema, await readJson(c)) as ChatRequest;
    const served = await callModel(c, {
      request,
      estimatedTokens: estimateChatTokens(request),
      prompt: () => chatPrompt(request),
      operation: (p) => p.chat.bind(p),
      operationName: "chat completions",
      route: "chat",
      endpoint: "chat",
    });
    return respond(c, served);
  });

  app.post("/completions", async (c) => {
    const request = validate(completionRequestSchema, await readJson(c)) as CompletionRequest;
    const served = await callModel(c, {
      request,
      estimatedTokens: estimateTokens(JSON.stringify(request.prompt)),
      prompt: () => completionPrompt(request),
      operation: (p) => p.completion?.bind(p),
      operationName: "text completions",
      route: "completion",
      endpoint: "completions",
    });
    return respond(c, served);
  });

  app.post("/embeddings", async (c) => {
    const request = validate(embeddingRequestSchema, await readJson(c)) as EmbeddingRequest;
    const served = await callModel(c, {
      request,
      estimatedTokens: estimateTokens(JSON.stringify(request.input)),
      prompt: () => embeddingPrompt(request),
      operation: (p) => p.embedding?.bind(p),
      operationName: "embeddings",
      route: "embedding",
      endpoint: "embeddings",
    });
    return respond(c, served);
  });

  app.get("/models", (c) => {
    const config = c.get("deps").config.current();
    const principal = c.get("principal");
    // A key sees only what it may use, as LiteLLM lists a key's models: the configured names and,
    // through wildcard routes, the models its own list names.
    const granted = grantedModels(principal).filter((name) => resolveModel(config, name) !== undefined);
    const names = new Set([...listedModels(config), ...granted]);
    const data = [...names].filter(modelAccess(principal)).map((id) => ({
      id,
      object: "model",
      created: 0,
      owned_by: "routeiq",
    }));
    return c.json({ object: "list", data });
  });

  return app;
}
