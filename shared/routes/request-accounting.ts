import type { Context } from "hono";
import type { Deployment } from "../config/deployment";
import type { GatewayEnv } from "../http/env";
import type { Admission } from "../limits/limiter";
import type { Usage } from "../openai/types";
import { costOf } from "../spend/cost";

/** Output tokens assumed for a budget reservation when the request sets no max_tokens. */
const DEFAULT_OUTPUT_ESTIMATE = 1024;

const NO_ADMISSION: Admission = Object.freeze({ finish() {} });

export interface Accounting {
  /** The request was answered (streams: when the stream ended). */
  succeeded(deployment: Deployment, usage: Usage | undefined): void;
  /** The request was answered from the response cache: logged, at no cost. */
  cached(): void;
  /** The request failed after it was admitted. */
  failed(status: number, deployment?: Deployment): void;
}

/**
 * The most a request to this group could cost, from its prompt estimate and max_tokens at the
 * priciest deployment: what a budget reservation holds until the real cost is known.
 */
function estimateCost(
  group: readonly Deployment[],
  promptTokens: number,
  maxTokens: number | undefined,
): number {
  const usage = { prompt_tokens: promptTokens, completion_tokens: maxTokens ?? DEFAULT_OUTPUT_ESTIMATE };
  return Math.max(0, ...group.map((d) => costOf(d, usage)));
}

/**
 * Admits a request against its key/team/user limits and budgets, then records what it used:
 * limits and budget counters are settled, and one spend-log row is queued, exactly once.
 */
export async function openAccounting(
  c: Context<GatewayEnv>,
  group: readonly Deployment[],
  estimatedTokens: number,
  maxTokens: number | undefined,
): Promise<Accounting> {
  const deps = c.get("deps");
  const principal = c.get("principal");
  const started = new Date();
  const virtual = principal?.kind === "virtual_key" ? principal : undefined;
  const admission = virtual
    ? await deps.limiter.admit(virtual.context.subjects, estimateCost(group, estimatedTokens, maxTokens))
    : NO_ADMISSION;
  const modelGroup = group[0]?.modelGroup ?? "";
  let done = false;
  const log = (
    status: number,
    d: Deployment | undefined,
    usage: Usage | undefined,
    spend: number,
    cacheHit: boolean,
  ) => {
    if (done) return;
    done = true;
    admission.finish(usage?.total_tokens ?? 0, spend);
    deps.spendLog.record({
      // The log's own id: a client's x-request-id may repeat, and must not make rows collide.
      requestId: crypto.randomUUID(),
      keyHash: virtual?.keyHash,
      teamId: virtual?.context.key.teamId ?? undefined,
      userId: virtual?.context.key.userId ?? undefined,
      modelGroup,
      deployment: d?.id,
      provider: d?.provider,
      status,
      promptTokens: usage?.prompt_tokens ?? 0,
      completionTokens: usage?.completion_tokens ?? 0,
      totalTokens: usage?.total_tokens ?? 0,
      spend,
      cacheHit,
      startedAt: started,
      endedAt: new Date(),
      metadata: { request_id: c.get("requestId") },
    });
  };
  return {
    succeeded: (d, usage) => log(200, d, usage, usage === undefined ? 0 : costOf(d, usage), false),
    cached: () => log(200, undefined, undefined, 0, true),
    failed: (status, d) => log(status, d, undefined, 0, false),
  };
}
