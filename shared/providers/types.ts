import type { Deployment } from "../config/deployment";
import type { ChatRequest, CompletionRequest, EmbeddingRequest, Usage } from "../openai/types";

export interface ProviderContext {
  readonly fetch: typeof fetch;
  /** Aborted when the client goes away or the deployment's timeout passes. */
  readonly signal: AbortSignal;
}

/** A complete response, already in the OpenAI wire format, kept as text so it is not re-serialised. */
export interface JsonResult {
  readonly type: "json";
  readonly body: string;
  readonly usage: Usage | undefined;
}

/**
 * A streaming response as OpenAI server-sent events (`data: {chunk}\n\n` ... `data: [DONE]\n\n`).
 * Providers always ask upstream for usage; the gateway strips it if the client did not.
 */
export interface StreamResult {
  readonly type: "stream";
  readonly body: ReadableStream<Uint8Array>;
}

export type ProviderResult = JsonResult | StreamResult;

/** A Responses API request body, its conversation spelled out (the upstream keeps no state). */
export interface ResponsesBody {
  model: string;
  stream?: boolean | null;
  [key: string]: unknown;
}

/**
 * A provider speaks one upstream wire format. Each operation takes an OpenAI-format request
 * (with `model` already set to the deployment's upstream name) and answers in the OpenAI format.
 * Failures are thrown as `UpstreamError`. An operation a provider lacks is simply absent.
 */
export interface Provider {
  readonly name: string;
  chat(request: ChatRequest, deployment: Deployment, ctx: ProviderContext): Promise<ProviderResult>;
  completion?(
    request: CompletionRequest,
    deployment: Deployment,
    ctx: ProviderContext,
  ): Promise<ProviderResult>;
  embedding?(request: EmbeddingRequest, deployment: Deployment, ctx: ProviderContext): Promise<JsonResult>;
  /**
   * OpenAI's Responses API spoken natively: answers in its wire format (a Response object, or its
   * SSE events), with `usage` in the gateway's chat terms. Absent: the gateway translates the
   * request to `chat` instead.
   */
  responses?(request: ResponsesBody, deployment: Deployment, ctx: ProviderContext): Promise<ProviderResult>;
}
