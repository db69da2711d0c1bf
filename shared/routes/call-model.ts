import type { Context } from "hono";
import { unrefTimer } from "../async/unref-timer";
import { withoutCacheParam } from "../cache/directives";
import { cacheIdentityOf } from "../cache/identity";
import type { CacheRoute } from "../cache/key";
import { CACHE_OFF } from "../cache/response-cache";
import type { CachedEndpoint } from "../cache/settings";
import type { Deployment } from "../config/deployment";
import { GatewayError } from "../errors";
import type { GatewayEnv } from "../http/env";
import { reservationFor } from "../limits/reservation";
import { generatedText, parseAnswer } from "../openai/generated-text";
import {
  observeStream,
  type StreamHooks,
  type StreamOutcome,
  USAGE_GRACE_MS,
} from "../openai/stream-observer";
import type { Usage } from "../openai/types";
import { providerFor } from "../providers/registry";
import type { JsonResult, Provider, ProviderContext, ProviderResult } from "../providers/types";
import { ClientClosedError } from "../router/attempt";
import { route } from "../router/dispatch";
import { servingDeployments } from "../router/serving-groups";
import type { AttemptResult } from "../router/types";
import { resolveModel } from "../router/wildcard-routes";
import { costOf } from "../spend/cost";
import { priceMultipleOf } from "../spend/service-tier";
import { countTokens } from "../tokens/count-tokens";
import { promptBound } from "../tokens/prompt-bound";
import { countPrompt, type PromptParts } from "../tokens/prompt-tokens";
import { clientChosen404 } from "./client-chosen-404";
import { checkModelAccess, modelAccess } from "./model-access";
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
  /**
   * The prompt, estimated cheaply (about 4 characters a token): routing. Reservations hold the
   * request's bound instead (`promptBound`), which no tokenizer can exceed.
   */
  readonly estimatedTokens: number;
  /** The prompt as the tokenizer counts it, when the upstream never says (a stream cut short). */
  readonly prompt: () => PromptParts;
  /** Which provider operation serves this route; deployments whose provider lacks it are skipped. */
  readonly operation: Operation<R>;
  readonly operationName: string;
  /** Which OpenAI operation this is, for the response cache's keys. */
  readonly route: CacheRoute;
  /** The route the client called, for `cache_params.supported_call_types`. */
  readonly endpoint: CachedEndpoint;
  /** False: never answered from, nor stored to, the response cache (the answer is state kept apart). */
  readonly cacheable?: boolean;
  /** Watches a streamed answer for usage and delivered text; default: OpenAI chat SSE. */
  readonly observe?: (body: ReadableStream<Uint8Array>, hooks: StreamHooks) => ReadableStream<Uint8Array>;
}

export type Served = JsonResult | { readonly type: "stream"; readonly body: ReadableStream<Uint8Array> };

export function modelNotFound(model: string, visible: readonly string[]): GatewayError {
  return new GatewayError({
    status: 404,
    type: "invalid_request_error",
    code: "model_not_found",
    param: "model",
    message: `model "${model}" is not configured; available models: ${visible.length > 0 ? visible.join(", ") : "(none)"}`,
  });
}

/** Completions an upstream generates for the request, and its own output limit per completion. */
function outputOf(call: Pick<ModelCall<unknown>, "route" | "request">): {
  completions: number;
  maxOutputTokens: number | undefined;
} {
  if (call.route === "embedding") return { completions: 0, maxOutputTokens: undefined };
  const r = call.request as {
    n?: number | null;
    best_of?: number | null;
    max_tokens?: number | null;
    max_completion_tokens?: number | null;
    max_output_tokens?: number | null;
  };
  return {
    completions: Math.max(1, r.n ?? 1, r.best_of ?? 1),
    maxOutputTokens: r.max_completion_tokens ?? r.max_tokens ?? r.max_output_tokens ?? undefined,
  };
}

const STREAM_STATUS: Readonly<Record<StreamOutcome, number>> = {
  completed: 200,
  failed: 502,
  cancelled: 499,
};
const STREAM_RESULT: Readonly<Record<StreamOutcome, AttemptResult>> = {
  completed: "ok",
  failed: "failed",
  cancelled: "released",
};

const isTimeout = (error: unknown): boolean =>
  error instanceof GatewayError && error.code === "upstream_timeout";

/** The generated text of a JSON answer (none for embeddings, or for a body that is not JSON). */
function jsonText(body: string): string {
  const pieces: string[] = [];
  const answer = parseAnswer(body);
  if (answer !== undefined) generatedText(answer, pieces);
  return pieces.join("");
}

const usageOf = (prompt: number, completion: number): Usage => ({
  prompt_tokens: prompt,
  completion_tokens: completion,
  total_tokens: prompt + completion,
});

/**
 * The signal an upstream call is cancelled by: the client's, except once the answer is complete.
 * Then all the upstream still has to send is its usage (which holds what the delivered text cannot:
 * a reasoning model's hidden tokens), and a client leaving cuts it off only after USAGE_GRACE_MS.
 */
function linkedToClient(client: AbortSignal): { signal: AbortSignal; answered: () => void } {
  const link = new AbortController();
  let complete = false;
  const forward = () => {
    if (!complete) return link.abort(client.reason);
    unrefTimer(setTimeout(() => link.abort(client.reason), USAGE_GRACE_MS));
  };
  if (client.aborted) forward();
  else client.addEventListener("abort", forward, { once: true });
  return {
    signal: link.signal,
    answered: () => {
      complete = true;
    },
  };
}

/**
 * Routes one OpenAI-format request to a deployment and returns its answer, setting the
 * `x-routeiq-*` headers and reporting usage, latency and time to first token. Every request that
 * is admitted is accounted for exactly once, however it ends: answered, failed, served from the
 * cache, cut short by the client, or broken by an error of ours.
 */
export async function callModel<R>(c: Context<GatewayEnv>, call: ModelCall<R>): Promise<Served> {
  const deps = c.get("deps");
  const config = deps.config.current();
  const principal = c.get("principal");
  const allows = modelAccess(principal);
  const model = call.request.model;
  // Before anything about the group: a key gets the same 403 for a name it may not use whether
  // or not the gateway serves it, so it cannot map the groups it was not given.
  checkModelAccess(principal, model);
  // A wildcard route serves the name asked for: `resolved.config` has that group's deployments
  // with the requested model in place, which routing, pricing and spend read from here on.
  const resolved = resolveModel(config, model);
  if (resolved === undefined) throw modelNotFound(model, [...config.groups.keys()].filter(allows));
  // Only configured names (a wildcard's pattern, not the name it matched) become metric labels,
  // so names clients make up cannot grow the series without bound.
  c.set("requestedModel", resolved.group);
  if (!resolved.deployments.some((d) => call.operation(providerFor(d.provider)) !== undefined)) {
    throw new GatewayError({
      status: 400,
      type: "invalid_request_error",
      code: "unsupported_operation",
      param: "model",
      message: `model "${model}" does not support ${call.operationName}`,
    });
  }
  const prompt = promptBound(call.request);
  const priceMultiple = priceMultipleOf(call.request);
  const bound = reservationFor(servingDeployments(resolved.config, resolved.group, allows), {
    promptTokens: prompt.tokens,
    images: prompt.images,
    fetched: prompt.fetched,
    ...outputOf(call),
  });
  const reservation = { ...bound, cost: bound.cost * priceMultiple };
  const accounting = await openAccounting(c, model, reservation, priceMultiple);
  // The deployment the request was last sent to: once an upstream has the prompt, it is consumed.
  let sentTo: Deployment | undefined;
  // What a request used when its upstream did not say: the prompt and `delivered`, counted with
  // the tokenizer; if even that fails, estimated, since nothing admitted goes uncharged.
  const measure = async (delivered: string): Promise<Usage> => {
    try {
      return usageOf(await countPrompt(call.prompt()), await countTokens(delivered));
    } catch (error) {
      deps.logger.error("could not count a request's tokens; charging the estimate", {
        error: String(error),
      });
      return usageOf(call.estimatedTokens, Math.ceil(delivered.length / 4));
    }
  };
  try {
    const cache =
      call.cacheable === false
        ? CACHE_OFF
        : await deps.responseCache.lookup({
            endpoint: call.endpoint,
            route: call.route,
            modelGroup: model,
            request: call.request,
            headers: c.req.raw.headers,
            identity: cacheIdentityOf(principal),
            settings: config.cache,
          });
    for (const [name, value] of Object.entries(cache.headers)) c.header(name, value);
    if (cache.hit !== undefined) {
      accounting.cached();
      return cache.hit;
    }
    const upstreamRequest = withoutCacheParam(call.request);
    const choice = await deps.chooser?.prepare({
      group: resolved.group,
      route: call.route,
      request: call.request,
      principal,
      requestId: c.get("requestId"),
    });
    if (choice === undefined) c.header("x-routeiq-router", config.router.strategy);
    else {
      for (const [name, value] of Object.entries(choice.headers)) c.header(name, value);
      accounting.annotate(choice.metadata);
    }
    const upstreamFetch = c.get("upstreamFetch") ?? deps.fetch;
    const upstream = linkedToClient(c.req.raw.signal);
    const started = Date.now();
    const routed = await route(resolved.config, deps, {
      requestId: c.get("requestId"),
      modelGroup: resolved.group,
      estimatedTokens: call.estimatedTokens,
      signal: upstream.signal,
      allows,
      choice,
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
        sentTo = d;
        return clientChosen404(
          d,
          call.route,
          operation(upstreamRequest, d, { fetch: upstreamFetch, signal }),
        );
      },
    });
    const { deployment: d, result } = routed;
    c.header("x-routeiq-deployment", d.id);
    c.header("x-routeiq-attempts", String(routed.attempts));
    // Metrics never fail an answer: a figure the metrics library refuses is logged, not thrown.
    const report = (usage: Usage) => {
      try {
        deps.metrics.usage({
          modelGroup: d.modelGroup,
          deployment: d.id,
          inputTokens: usage.prompt_tokens,
          outputTokens: usage.completion_tokens,
          cost: costOf(d, usage) * priceMultiple,
        });
      } catch (error) {
        deps.logger.error("could not record usage metrics", { error: String(error) });
      }
    };
    if (result.type === "json") {
      const used = result.usage ?? (await measure(jsonText(result.body)));
      accounting.succeeded(d, used);
      routed.settle(used.total_tokens);
      report(used);
      void cache.storeJson(result.body);
      return result;
    }
    const body = (call.observe ?? observeStream)(cache.tapStream(result.body), {
      includeUsage: call.request.stream_options?.include_usage === true,
      onFirstChunk: () => deps.metrics.timeToFirstToken(d.modelGroup, d.id, Date.now() - started),
      onAnswered: upstream.answered,
      onEnd: ({ usage, outcome: seen, delivered }) => {
        // Workers end the upstream read first when the client leaves, which looks like an upstream
        // failure; it is a cancellation, which must neither cool the deployment down nor log 502.
        const outcome = seen === "failed" && c.req.raw.signal.aborted ? "cancelled" : seen;
        // A stream that ended before the upstream reported usage is charged for the prompt and
        // what was delivered.
        return (usage === undefined ? measure(delivered) : Promise.resolve(usage)).then((used) => {
          // Accounted first: nothing after it (metrics refusing a figure, say) may leave the
          // request uncharged and its slot held.
          if (outcome === "completed") accounting.succeeded(d, used);
          else accounting.failed(STREAM_STATUS[outcome], d, used);
          routed.settle(used.total_tokens, STREAM_RESULT[outcome]);
          report(used);
        });
      },
    });
    return { type: "stream", body };
  } catch (error) {
    const status =
      error instanceof GatewayError ? error.status : error instanceof ClientClosedError ? 499 : 500;
    const d = sentTo;
    // The client left, or the upstream did not answer in time, while it had the request: the
    // prompt was consumed all the same.
    if (d !== undefined && (error instanceof ClientClosedError || isTimeout(error))) {
      void measure("").then((used) => accounting.failed(status, d, used));
    } else accounting.failed(status, d);
    throw error;
  }
}
