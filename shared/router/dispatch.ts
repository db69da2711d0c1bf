import type { Deployment } from "../config/deployment";
import type { RuntimeConfig } from "../config/runtime-config";
import { GatewayError, UpstreamError } from "../errors";
import type { Logger } from "../logging/logger";
import type { GatewayMetrics } from "../metrics/port";
import { attempt } from "./attempt";
import type { RequestChoice } from "./choice";
import { finalError, noCapacity } from "./final-error";
import { strategies } from "./strategies";
import type { AttemptResult, Candidate, RouterState } from "./types";

export interface RouterDeps {
  readonly routerState: RouterState;
  readonly metrics: GatewayMetrics;
  /** Each failed attempt is logged at debug; the request's own line says how it ended. */
  readonly logger: Logger;
  readonly random: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

export interface RouteRequest<T> {
  /** For the log lines of failed attempts. */
  readonly requestId?: string;
  readonly modelGroup: string;
  readonly estimatedTokens: number;
  readonly signal: AbortSignal;
  /**
   * Whether the caller may be served by a group: fallbacks and context-window fallbacks it may not
   * use are skipped, as if they were not configured. The requested group was checked already.
   */
  readonly allows: (group: string) => boolean;
  readonly call: (deployment: Deployment, signal: AbortSignal) => Promise<T>;
  /** A choice made for this request (a learned router's): picks within the requested group. */
  readonly choice?: RequestChoice;
}

export interface Routed<T> {
  readonly result: T;
  readonly deployment: Deployment;
  readonly attempts: number;
  /** Records the outcome once the response is complete (for streams: when the stream ends). */
  readonly settle: (tokens: number, result?: AttemptResult) => void;
}

/** Upstream retry-after beyond this is not waited out: the client is told instead. */
const MAX_RETRY_WAIT_MS = 10_000;
const COOL_NOW_STATUSES = new Set([401, 403, 404, 429]);

function backoffMs(retry: number, error: UpstreamError, minimumMs: number, random: () => number): number {
  const exponential = Math.min(2_000, 100 * 2 ** retry) * (0.5 + random() / 2);
  return Math.max(exponential, minimumMs, error.retryAfterMs ?? 0);
}

/**
 * Serves a request from a model group: picks a deployment with the configured strategy, retries
 * retryable failures on other deployments (then the same one, with backoff), cools down failing
 * deployments, and walks `fallbacks` (or `context_window_fallbacks`) when a group is exhausted.
 */
export async function route<T>(
  config: RuntimeConfig,
  deps: RouterDeps,
  req: RouteRequest<T>,
): Promise<Routed<T>> {
  const { router } = config;
  const strategy = strategies[router.strategy];
  const policy = { allowedFails: router.allowedFails, cooldownMs: router.cooldownMs };
  // `before` followed by `group`'s alternatives it does not hold yet: context-window fallbacks are
  // followed transitively, and a config whose fallbacks lead back (a → b → a) must not loop for ever.
  const extended = (
    before: readonly string[],
    map: ReadonlyMap<string, readonly string[]>,
    group: string,
  ) => {
    const chain = [...before];
    for (const g of map.get(group) ?? []) if (req.allows(g) && !chain.includes(g)) chain.push(g);
    return chain;
  };
  let chain: readonly string[] = extended([req.modelGroup], config.fallbacks, req.modelGroup);
  let attempts = 0;
  let lastError: UpstreamError | GatewayError | undefined;

  for (let g = 0; g < chain.length; g++) {
    const group = chain[g] as string;
    if (g > 0) deps.metrics.fallback(req.modelGroup, group);
    const all = config.groups.get(group) ?? [];
    const fits = all.filter((d) => d.maxInputTokens === undefined || d.maxInputTokens >= req.estimatedTokens);
    if (fits.length === 0 && all.length > 0) {
      lastError = new UpstreamError(
        "context_window",
        400,
        `prompt of ~${req.estimatedTokens} tokens exceeds every "${group}" deployment's max_input_tokens`,
      );
      chain = extended(chain.slice(0, g + 1), config.contextWindowFallbacks, group);
      continue;
    }
    const tries = new Map<string, number>();
    const choice = group === req.modelGroup ? req.choice : undefined;
    for (let retry = 0; retry <= router.numRetries; retry++) {
      const stats = await deps.routerState.stats(fits);
      const now = Date.now();
      const healthy: Candidate[] = [];
      fits.forEach((deployment, i) => {
        const s = stats[i];
        if (s === undefined) return;
        const used = tries.get(deployment.id) ?? 0;
        if (deployment.maxRetries !== undefined && used > deployment.maxRetries) return;
        if (s.cooldownUntil > now && fits.length > 1) return;
        healthy.push({ deployment, stats: s });
      });
      if (healthy.length === 0) {
        // Cooled down by this very request's failures: the client is owed that failure, not a 503.
        if (tries.size > 0 && lastError !== undefined) break;
        lastError = allCooling(
          group,
          stats.map((s) => s.cooldownUntil),
          now,
        );
        break;
      }
      // Prefer deployments this request has not failed on yet.
      const fresh = healthy.filter((c) => !tries.has(c.deployment.id));
      const pick = (choice?.strategy ?? strategy)(fresh.length > 0 ? fresh : healthy, {
        estimatedTokens: req.estimatedTokens,
        random: deps.random,
        args: router.strategyArgs,
      });
      if (pick === undefined) {
        lastError = noCapacity(group);
        break;
      }
      const d = pick.deployment;
      // Picked, so not cooling down (any more): the gauge must not keep showing an expired cooldown.
      deps.metrics.cooldown(group, d.id, false);
      attempts += 1;
      tries.set(d.id, (tries.get(d.id) ?? 0) + 1);
      deps.routerState.begin(d.id);
      const started = Date.now();
      try {
        const result = await attempt(d, req.signal, (signal) => req.call(d, signal));
        const latencyMs = Date.now() - started;
        deps.metrics.deploymentCall({
          modelGroup: group,
          deployment: d.id,
          provider: d.provider,
          status: 200,
          latencyMs,
        });
        let settled = false;
        const settle = (tokens: number, outcome: AttemptResult = "ok") => {
          if (settled) return;
          settled = true;
          void deps.routerState.end(d.id, { result: outcome, latencyMs, tokens, coolNow: false }, policy);
          choice?.attempted?.(d, outcome);
        };
        return { result, deployment: d, attempts, settle };
      } catch (error) {
        const latencyMs = Date.now() - started;
        if (!(error instanceof UpstreamError)) {
          // Not the upstream's doing: the client went away, or the gateway could not make the call
          // (a request it cannot serialise, a bug of ours). Retrying elsewhere would fail alike,
          // and counting it against the deployment would let any client cool a group down.
          void deps.routerState.end(
            d.id,
            { result: "released", latencyMs, tokens: 0, coolNow: false },
            policy,
          );
          throw error instanceof GatewayError ? withAttempts(error, attempts) : error;
        }
        deps.metrics.deploymentCall({
          modelGroup: group,
          deployment: d.id,
          provider: d.provider,
          status: error.status,
          latencyMs,
        });
        deps.logger.debug("upstream attempt failed", {
          request_id: req.requestId,
          model_group: group,
          deployment: d.id,
          attempt: attempts,
          status: error.status,
          kind: error.kind,
          error: error.message,
        });
        const coolNow = error.kind === "http" && COOL_NOW_STATUSES.has(error.status);
        const countsAgainst = error.retryable || coolNow;
        // A group of one is never cooled down: failing fast upstream beats answering 503 for cooldown_time.
        const cooling = fits.length > 1 ? policy : { allowedFails: Number.POSITIVE_INFINITY, cooldownMs: 0 };
        const cooled = await deps.routerState.end(
          d.id,
          { result: countsAgainst ? "failed" : "ok", latencyMs, tokens: 0, coolNow },
          cooling,
        );
        if (countsAgainst) choice?.attempted?.(d, "failed");
        // A zero-length cooldown (a group of one, or cooldown_time: 0) skips nothing: not reported.
        if (cooled && cooling.cooldownMs > 0) deps.metrics.cooldown(group, d.id, true);
        lastError = error;
        if (error.kind === "context_window") {
          chain = extended(chain.slice(0, g + 1), config.contextWindowFallbacks, group);
          break;
        }
        if (!countsAgainst) throw withAttempts(finalError(error), attempts);
        if (retry === router.numRetries) break;
        const untried = fits.some((x) => !tries.has(x.id));
        // Too long to wait out: end this group, unless another deployment can answer right now.
        if (!untried && error.retryAfterMs !== undefined && error.retryAfterMs > MAX_RETRY_WAIT_MS) break;
        deps.metrics.retry(group, d.id);
        if (!untried) await deps.sleep(backoffMs(retry, error, router.retryAfterMs, deps.random));
      }
    }
  }
  throw withAttempts(finalError(lastError ?? noDeployments(req.modelGroup)), attempts);
}

/** Failed answers say how many upstream attempts were made, as successful ones do. */
function withAttempts(error: GatewayError, attempts: number): GatewayError {
  return new GatewayError({
    status: error.status,
    type: error.type,
    code: error.code,
    message: error.message,
    param: error.param,
    headers: { ...error.headers, "x-routeiq-attempts": String(attempts) },
  });
}

function allCooling(group: string, cooldowns: readonly number[], now: number): GatewayError {
  const soonest = Math.min(...cooldowns.filter((c) => c > now));
  const seconds = Number.isFinite(soonest) ? Math.max(1, Math.ceil((soonest - now) / 1000)) : 1;
  return new GatewayError({
    status: 503,
    type: "service_unavailable_error",
    code: "no_healthy_deployment",
    message: `every deployment of "${group}" is cooling down after failures; retry in ${seconds}s`,
    headers: { "retry-after": String(seconds) },
  });
}

function noDeployments(group: string): GatewayError {
  return new GatewayError({
    status: 503,
    type: "service_unavailable_error",
    code: "no_deployment",
    message: `model group "${group}" has no deployments`,
  });
}
