import { GatewayError } from "../../errors";

export interface BedrockTarget {
  /** Converse for every model; InvokeModel with the Anthropic Messages body for Claude. */
  readonly api: "converse" | "invoke";
  /** A model id (`anthropic.claude-…-v1:0`), an inference profile id (`us.anthropic.…`) or an ARN. */
  readonly modelId: string;
}

/** Claude, as a model id, a cross-region inference profile id or an ARN naming either. */
const CLAUDE = /(?:^|[./])anthropic\.claude/;

/**
 * Which API serves a deployment's model, from LiteLLM's spellings: `bedrock/converse/<id>` and
 * `bedrock/invoke/<id>` choose; plain `bedrock/<id>` sends Claude through InvokeModel, whose body
 * is Anthropic's own Messages format (so Claude keeps every Anthropic feature the gateway maps,
 * with one translation fewer than Converse), and every other model through Converse.
 */
export function bedrockTarget(model: string, deploymentId: string): BedrockTarget {
  const [route, ...rest] = model.split("/");
  if ((route === "converse" || route === "invoke") && rest.length > 0) {
    const modelId = rest.join("/");
    if (route === "invoke" && !CLAUDE.test(modelId))
      throw new GatewayError({
        status: 500,
        type: "api_error",
        code: "unsupported_deployment",
        message: `${deploymentId}: bedrock/invoke/ is served for Anthropic's models only; use bedrock/converse/`,
      });
    return { api: route, modelId };
  }
  return { api: CLAUDE.test(model) ? "invoke" : "converse", modelId: model };
}
