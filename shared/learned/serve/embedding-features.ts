import type { RuntimeConfig } from "../../config/runtime-config";
import { GatewayError, UpstreamError } from "../../errors";
import { Lru } from "../../keys/lru";
import { estimateTokens } from "../../openai/token-estimate";
import { providerFor } from "../../providers/registry";
import { type RouterDeps, route } from "../../router/dispatch";
import { costOf } from "../../spend/cost";

export type Embed = (group: string, text: string) => Promise<Float32Array>;

/**
 * Embeds one text through the gateway's own routing and provider layer: the `embedding_model`
 * group's deployments, with their retries, cooldowns and timeouts. Not billed to the caller's key;
 * its tokens and cost show in the usage metrics like any call.
 */
export function gatewayEmbed(deps: RouterDeps & { config: () => RuntimeConfig; fetch: typeof fetch }): Embed {
  return async (group, text) => {
    const config = deps.config();
    const request = { model: group, input: [text], encoding_format: "float" as const };
    const routed = await route(config, deps, {
      modelGroup: group,
      estimatedTokens: estimateTokens(text),
      // Never cut short by the decision's budget: a late answer still fills the cache.
      signal: new AbortController().signal,
      allows: () => true,
      call: (d, signal) => {
        const provider = providerFor(d.provider);
        if (provider.embedding === undefined) {
          throw new UpstreamError("http", 400, `${d.id} does not serve embeddings`);
        }
        return provider.embedding(request, d, { fetch: deps.fetch, signal });
      },
    });
    const { result, deployment } = routed;
    routed.settle(result.usage?.total_tokens ?? 0);
    if (result.usage !== undefined) {
      deps.metrics.usage({
        modelGroup: group,
        deployment: deployment.id,
        inputTokens: result.usage.prompt_tokens,
        outputTokens: 0,
        cost: costOf(deployment, result.usage),
      });
    }
    const body = JSON.parse(result.body) as { data?: { embedding?: unknown }[] };
    const embedding = body.data?.[0]?.embedding;
    if (!Array.isArray(embedding) || !embedding.every((v) => typeof v === "number" && Number.isFinite(v))) {
      throw new GatewayError({
        status: 502,
        type: "api_error",
        code: "bad_embedding",
        message: `embedding model "${group}" answered without a float embedding`,
      });
    }
    return Float32Array.from(embedding as number[]);
  };
}

/**
 * Embedding features with a cache (the same prompt is embedded once per replica while it stays
 * in the cache) and a time budget: past it the decision goes on with local features, and the
 * call keeps running to fill the cache for the next time.
 */
export class EmbeddingFeatures {
  readonly #embed: Embed;
  readonly #cache: Lru<string, Promise<Float32Array>>;

  constructor(embed: Embed, capacity = 4_096) {
    this.#embed = embed;
    this.#cache = new Lru(capacity);
  }

  async vector(group: string, text: string, budgetMs: number): Promise<Float32Array | undefined> {
    const key = `${group}\u0000${text}`;
    let pending = this.#cache.get(key);
    if (pending === undefined) {
      pending = this.#embed(group, text);
      this.#cache.set(key, pending);
      // A failed call is not cached: the next request tries again.
      pending.catch(() => this.#cache.delete(key));
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), budgetMs);
    });
    try {
      return await Promise.race([pending, late]);
    } catch {
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }
}
