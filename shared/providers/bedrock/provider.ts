import type { Deployment } from "../../config/deployment";
import { UpstreamError } from "../../errors";
import type { ChatRequest } from "../../openai/types";
import { toAnthropicRequest } from "../anthropic/request";
import { toChatCompletion as anthropicToChat } from "../anthropic/response";
import { toChatChunkStream as anthropicChunks } from "../anthropic/stream";
import { anthropicMessageSchema, anthropicStreamEventSchema } from "../anthropic/wire";
import type { Provider, ProviderContext, ProviderResult } from "../types";
import { toConverseInput } from "./converse-request";
import { toChatCompletion } from "./converse-response";
import { toChatChunkStream } from "./converse-stream";
import { bedrockEmbedding } from "./embedding";
import { sdkCall, toUpstreamError } from "./errors";
import { bedrockTarget } from "./model-id";
import { bedrockRuntime } from "./runtime";
import { converseOutputSchema } from "./wire";

const NAME = "bedrock";
/** What Anthropic's models on Bedrock take in place of the `anthropic-version` header. */
const ANTHROPIC_VERSION = "bedrock-2023-05-31";

const encoder = new TextEncoder();

async function converse(request: ChatRequest, d: Deployment, modelId: string, ctx: ProviderContext) {
  const runtime = await bedrockRuntime(d);
  const input = { modelId, ...toConverseInput(request) };
  if (request.stream) {
    const events = await sdkCall(ctx, () => runtime.converseStream(input, ctx));
    const body = toChatChunkStream(events, d.model, (error) => toUpstreamError(error, ctx));
    return { type: "stream", body } satisfies ProviderResult;
  }
  const parsed = converseOutputSchema.safeParse(await sdkCall(ctx, () => runtime.converse(input, ctx)));
  if (!parsed.success) throw new UpstreamError("http", 502, `${NAME}: unexpected Converse response shape`);
  const completion = toChatCompletion(parsed.data, d.model);
  return { type: "json", body: JSON.stringify(completion), usage: completion.usage } satisfies ProviderResult;
}

/**
 * Bedrock streams each Anthropic event as a JSON chunk of its event stream; as server-sent events
 * they go through the Anthropic provider's stream translation unchanged.
 */
function asServerSentEvents(events: AsyncIterable<string>, ctx: ProviderContext): ReadableStream<Uint8Array> {
  const iterator = events[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await iterator.next();
        if (done) controller.close();
        else {
          const type = anthropicStreamEventSchema.safeParse(JSON.parse(value)).data?.type ?? "event";
          controller.enqueue(encoder.encode(`event: ${type}\ndata: ${value}\n\n`));
        }
      } catch (error) {
        controller.error(toUpstreamError(error, ctx));
      }
    },
    async cancel() {
      await iterator.return?.().catch(() => undefined);
    },
  });
}

async function invokeClaude(request: ChatRequest, d: Deployment, modelId: string, ctx: ProviderContext) {
  const runtime = await bedrockRuntime(d);
  const { model: _model, stream: _stream, ...anthropic } = toAnthropicRequest(request, d);
  const body = JSON.stringify({ ...anthropic, anthropic_version: ANTHROPIC_VERSION });
  if (request.stream) {
    const events = await sdkCall(ctx, () => runtime.invokeStream(modelId, body, ctx));
    return {
      type: "stream",
      body: anthropicChunks(asServerSentEvents(events, ctx)),
    } satisfies ProviderResult;
  }
  const answer = await sdkCall(ctx, () => runtime.invoke(modelId, body, ctx));
  let json: unknown;
  try {
    json = JSON.parse(answer.body);
  } catch {
    throw new UpstreamError("http", 502, `${NAME}: response body is not JSON`);
  }
  const parsed = anthropicMessageSchema.safeParse(json);
  if (!parsed.success) throw new UpstreamError("http", 502, `${NAME}: unexpected response shape`);
  const completion = anthropicToChat(parsed.data);
  return { type: "json", body: JSON.stringify(completion), usage: completion.usage } satisfies ProviderResult;
}

/**
 * Amazon Bedrock (`bedrock/<model id>`), through the AWS SDK: SigV4 with the default credential
 * chain (the Lambda's or task's role) unless LiteLLM's aws_* settings say otherwise, or a Bedrock
 * API key (`api_key`). Claude goes through InvokeModel in Anthropic's own format, everything else
 * through Converse (see model-id.ts). Embeddings: Amazon Titan and Cohere Embed.
 */
export const bedrockProvider: Provider = {
  name: NAME,
  chat(request, d, ctx) {
    const target = bedrockTarget(d.model, d.id);
    return target.api === "invoke"
      ? invokeClaude(request, d, target.modelId, ctx)
      : converse(request, d, target.modelId, ctx);
  },
  embedding: bedrockEmbedding,
};
