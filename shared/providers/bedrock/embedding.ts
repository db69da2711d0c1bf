import { z } from "zod";
import type { Deployment } from "../../config/deployment";
import { GatewayError, UpstreamError } from "../../errors";
import type { EmbeddingRequest } from "../../openai/types";
import { countTokens } from "../../tokens/count-tokens";
import { embeddingList, textInputs } from "../embedding-list";
import type { JsonResult, ProviderContext } from "../types";
import { sdkCall } from "./errors";
import { bedrockRuntime } from "./runtime";

const titanSchema = z.object({ embedding: z.array(z.number()), inputTextTokenCount: z.number().nullish() });
const cohereSchema = z.object({ embeddings: z.array(z.array(z.number())) });

function parse<T>(body: string, schema: z.ZodType<T>): T {
  try {
    const parsed = schema.safeParse(JSON.parse(body));
    if (parsed.success) return parsed.data;
  } catch {
    // Not JSON: reported below like any other shape.
  }
  throw new UpstreamError("http", 502, "bedrock: unexpected embedding response shape");
}

/**
 * Bedrock's embedding models through InvokeModel, each in its own format: Amazon Titan (one text a
 * call, so a list is sent as parallel calls) and Cohere Embed (a list a call).
 */
export async function bedrockEmbedding(
  request: EmbeddingRequest,
  d: Deployment,
  ctx: ProviderContext,
): Promise<JsonResult> {
  const texts = textInputs(request, "bedrock");
  const modelId = d.model.replace(/^invoke\//, "");
  const runtime = await bedrockRuntime(d);
  if (/(?:^|[./])amazon\.titan-embed/.test(modelId)) {
    const answers = await Promise.all(
      texts.map((inputText) =>
        sdkCall(ctx, () =>
          runtime.invoke(modelId, JSON.stringify({ inputText, dimensions: request.dimensions }), ctx),
        ).then((answer) => parse(answer.body, titanSchema)),
      ),
    );
    const prompt = answers.reduce((sum, a) => sum + (a.inputTextTokenCount ?? 0), 0);
    return embeddingList(
      request,
      answers.map((a) => a.embedding),
      d.model,
      prompt,
    );
  }
  if (/(?:^|[./])cohere\.embed/.test(modelId)) {
    const body = JSON.stringify({ texts, input_type: "search_document" });
    const answer = await sdkCall(ctx, () => runtime.invoke(modelId, body, ctx));
    const { embeddings } = parse(answer.body, cohereSchema);
    // Cohere on Bedrock does not report what it used; the tokenizer's count is charged.
    const prompt = (await Promise.all(texts.map(countTokens))).reduce((sum, count) => sum + count, 0);
    return embeddingList(request, embeddings, d.model, prompt);
  }
  throw new GatewayError({
    status: 400,
    type: "invalid_request_error",
    code: "unsupported_operation",
    param: "model",
    message: `${d.id}: Bedrock embeddings are served for Amazon Titan and Cohere Embed models`,
  });
}
