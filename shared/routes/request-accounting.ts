import type { Context } from "hono";
import type { Deployment } from "../config/deployment";
import type { GatewayEnv } from "../http/env";
import type { Admission, Reservation } from "../limits/limiter";
import type { Usage } from "../openai/types";
import { costOf } from "../spend/cost";

const NO_ADMISSION: Admission = Object.freeze({ finish: () => Promise.resolve() });

export interface Accounting {
  /** The request was answered (streams: when the stream ended). */
  succeeded(deployment: Deployment, usage: Usage | undefined): void;
  /** The request was answered from the response cache: logged, at no cost. */
  cached(): void;
  /**
   * The request failed after it was admitted. `usage` is what it consumed anyway (a prompt an
   * upstream received, a stream cut short), charged at `deployment`'s price.
   */
  failed(status: number, deployment?: Deployment, usage?: Usage): void;
  /** Adds fields to the row's metadata (how the request was routed), before it ends. */
  annotate(metadata: Readonly<Record<string, unknown>>): void;
}

/**
 * Admits a request against its key/team/user limits and budgets and the proxy-wide budget, holding
 * `reservation` until it ends, then records what it used: limits and budget counters are settled,
 * and one spend-log row is queued, exactly once, whichever of the three ends it reaches first. The
 * caller must reach one of them on every path (call-model.ts does, in a catch-all).
 */
export async function openAccounting(
  c: Context<GatewayEnv>,
  modelGroup: string,
  reservation: Reservation,
  /** What the request pays per unit of its deployment's price (`service_tier: "priority"`: 2). */
  priceMultiple = 1,
): Promise<Accounting> {
  const deps = c.get("deps");
  const principal = c.get("principal");
  const started = new Date();
  const virtual = principal?.kind === "virtual_key" ? principal : undefined;
  const subjects = [...(virtual?.context.subjects ?? [])];
  // The master key's requests count toward the proxy-wide budget (the spend writer adds every
  // request's cost) but are never refused by it, as in LiteLLM: the operator can still get through.
  const proxyBudget = deps.config.current().proxyBudget;
  if (proxyBudget !== undefined && principal?.kind !== "master") {
    subjects.push(await deps.proxyBudget.subject(proxyBudget));
  }
  const admission = subjects.length > 0 ? await deps.limiter.admit(subjects, reservation) : NO_ADMISSION;
  let accounted = () => {};
  c.set(
    "accounted",
    new Promise<void>((resolve) => {
      accounted = resolve;
    }),
  );
  let done = false;
  let extra: Readonly<Record<string, unknown>> = {};
  const log = (status: number, d: Deployment | undefined, usage: Usage | undefined, cacheHit: boolean) => {
    if (done) return;
    done = true;
    const spend = d === undefined || usage === undefined ? 0 : costOf(d, usage) * priceMultiple;
    if (usage !== undefined) c.set("usage", usage);
    void admission.finish(usage?.total_tokens ?? 0, spend);
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
      metadata: { ...extra, request_id: c.get("requestId") },
    });
    accounted();
  };
  return {
    succeeded: (d, usage) => log(200, d, usage, false),
    cached: () => log(200, undefined, undefined, true),
    failed: (status, d, usage) => log(status, d, usage, false),
    annotate(metadata) {
      extra = { ...extra, ...metadata };
    },
  };
}
