import type { Context } from "hono";
import { withoutCacheParam } from "../cache/directives";
import { cacheIdentityOf } from "../cache/identity";
import type { CacheRoute } from "../cache/key";
import type { Deployment } from "../config/deployment";
import type { RuntimeConfig } from "../config/runtime-config";
import { GatewayError } from "../errors";
import type { GatewayEnv } from "../http/env";
import { observeStream } from "../openai/stream-observer";
import type { Usage } from "../openai/types";
import { providerFor } from "../providers/registry";
import type { JsonResult, Provider, ProviderContext, ProviderResult } from "../providers/types";
import { ClientClosedError } from "../router/attempt";
import { route } from "../router/dispatch";
import { costOf } from "../spend/cost";
import { checkModelAccess } from "./model-access";
import { openAccounting } from "./request-accounting";

export type Operation<R> = (
  provider: Provider,
) => ((request: R, d: Deployment, ctx: ProviderContext) => Promise<ProviderResult>) | undefined;

export interface ModelCall<R> {
  readonly request: R & {
    model: string;
    stream?: boolean | null;
    stream_options?: { include_usage?: boolean } | null;
  };
  readonly estimatedTokens: number;
  /** Which provider operation serves this route; deployments whose provider lacks it are skipped. */
  readonly operation: Operation<R>;
  readonly operationName: string;
  /** Which OpenAI operation this is, for the response cache's keys. */
  readonly route: CacheRoute;
}

export type Served = JsonResult | { readonly type: "stream"; readonly body: ReadableStream<Uint8Array> };

export function modelNotFound(model: string, config: RuntimeConfig): GatewayError {
  const known = [...config.groups.keys()];
  return new GatewayError({
    status: 404,
    type: "invalid_request_error",
    code: "model_not_found",
    param: "model",
    message: `model "${model}" is not configured; available models: ${known.length > 0 ? known.join(", ") : "(none)"}`,
  });
}

/**
 * Routes one OpenAI-format request to a deployment and returns its answer, setting the
 * `x-routeiq-*` headers and reporting usage, latency and time to first token.
 */
export async function callModel<R>(c: Context<GatewayEnv>, call: ModelCall<R>): Promise<Served> {
  const deps = c.get("deps");
  const config = deps.config.current();
  const model = call.request.model;
  const group = config.groups.get(model);
  if (group === undefined) throw modelNotFound(model, config);
  // Only configured names become metric labels, so unknown ones cannot grow the series without bound.
  c.set("requestedModel", model);
  if (!group.some((d) => call.operation(providerFor(d.provider)) !== undefined)) {
    throw new GatewayError({
      status: 400,
      type: "invalid_request_error",
      code: "unsupported_operation",
      param: "model",
      message: `model "${model}" does not support ${call.operationName}`,
    });
  }
  checkModelAccess(c.get("principal"), model);
  const request = call.request as { max_tokens?: number | null; max_completion_tokens?: number | null };
  const accounting = await openAccounting(
    c,
    group,
    call.estimatedTokens,
    request.max_completion_tokens ?? request.max_tokens ?? undefined,
  );
  const cache = await deps.responseCache.lookup({
    route: call.route,
    modelGroup: model,
    request: call.request,
    headers: c.req.raw.headers,
    identity: cacheIdentityOf(c.get("principal")),
    settings: config.cache,
  });
  for (const [name, value] of Object.entries(cache.headers)) c.header(name, value);
  if (cache.hit !== undefined) {
    accounting.cached();
    return cache.hit;
  }
  const upstreamRequest = withoutCacheParam(call.request);
  const started = Date.now();
  const routed = await route(config, deps, {
    modelGroup: model,
    estimatedTokens: call.estimatedTokens,
    signal: c.req.raw.signal,
    call: (d, signal) => {
      const operation = call.operation(providerFor(d.provider));
      if (operation === undefined) {
        throw new GatewayError({
          status: 400,
          type: "invalid_request_error",
          code: "unsupported_operation",
          message: `${d.id} does not support ${call.operationName}`,
        });
      }
      return operation(upstreamRequest, d, { fetch: deps.fetch, signal });
    },
  }).catch((error: unknown) => {
    accounting.failed(
      error instanceof GatewayError ? error.status : error instanceof ClientClosedError ? 499 : 500,
    );
    throw error;
  });
  const { deployment: d, result } = routed;
  c.header("x-routeiq-deployment", d.id);
  c.header("x-routeiq-attempts", String(routed.attempts));
  const report = (usage: Usage | undefined) => {
    if (usage === undefined) return;
    deps.metrics.usage({
      modelGroup: d.modelGroup,
      deployment: d.id,
      inputTokens: usage.prompt_tokens,
      outputTokens: usage.completion_tokens,
      cost: costOf(d, usage),
    });
  };
  if (result.type === "json") {
    routed.settle(result.usage?.total_tokens ?? 0);
    report(result.usage);
    accounting.succeeded(d, result.usage);
    void cache.storeJson(result.body);
    return result;
  }
  const body = observeStream(cache.tapStream(result.body), {
    includeUsage: call.request.stream_options?.include_usage === true,
    onFirstChunk: () => deps.metrics.timeToFirstToken(d.modelGroup, d.id, Date.now() - started),
    onEnd: (usage, outcome) => {
      routed.settle(usage?.total_tokens ?? 0, outcome !== "failed");
      report(usage);
      if (outcome === "completed") accounting.succeeded(d, usage);
      else accounting.failed(outcome === "cancelled" ? 499 : 502, d);
    },
  });
  return { type: "stream", body };
}
