import type { Principal } from "../auth/principal";
import type { AppDeps } from "../deps";
import type { Admission } from "../limits/limiter";

export interface UpstreamCallInfo {
  readonly gateway: "mcp" | "a2a";
  /** The MCP server or A2A agent. */
  readonly upstream: string;
  /** `tools/call`, `message/send`, ... */
  readonly method: string;
  /** The tool called, for MCP. */
  readonly tool?: string;
  /** The request that carried the call. */
  readonly requestId: string;
}

/** The spend log's status for an outcome that is not an upstream failure (those are 502). */
const STATUS_OF: Readonly<Record<string, number>> = { ok: 200, rate_limited: 429, task_not_found: 404 };

/**
 * Admits one call through the MCP or A2A gateway under the caller's key, team and user limits
 * (an rpm and parallel-request slot; they cost no tokens), and returns what records it when it
 * ends: its log line, its metrics, a row in the spend log (cost 0), and the slot given back.
 * A refused call is counted and logged as `rate_limited` before the refusal is thrown.
 */
export async function admitUpstreamCall(
  deps: AppDeps,
  principal: Principal,
  info: UpstreamCallInfo,
): Promise<(outcome: string, latencyMs: number) => void> {
  const started = new Date();
  const record = (outcome: string, latencyMs: number) => {
    deps.metrics.upstreamCall({ ...info, outcome, latencyMs });
    const who = principal.kind === "virtual_key" ? principal : undefined;
    deps.logger.info(`${info.gateway} call`, {
      request_id: info.requestId,
      key: who === undefined ? principal.kind : (who.context.key.keyAlias ?? `${who.keyHash.slice(0, 12)}…`),
      upstream: info.upstream,
      method: info.method,
      tool: info.tool,
      outcome,
      latency_ms: latencyMs,
    });
    deps.spendLog.record({
      requestId: `${info.gateway}-${crypto.randomUUID()}`,
      keyHash: who?.keyHash,
      teamId: who?.context.key.teamId ?? undefined,
      userId: who?.context.key.userId ?? undefined,
      modelGroup: `${info.gateway}/${info.upstream}`,
      deployment: info.tool ?? info.method,
      provider: info.gateway,
      status: STATUS_OF[outcome] ?? 502,
      promptTokens: 0,
      completionTokens: 0,
      totalTokens: 0,
      spend: 0,
      cacheHit: false,
      startedAt: started,
      endedAt: new Date(started.getTime() + latencyMs),
      metadata: {
        call_type: info.gateway === "mcp" ? "call_mcp_tool" : "a2a_call",
        method: info.method,
        outcome,
        request_id: info.requestId,
      },
    });
  };
  let admission: Admission | undefined;
  if (principal.kind === "virtual_key") {
    try {
      admission = await deps.limiter.admit(principal.context.subjects, { cost: 0, tokens: 0 });
    } catch (error) {
      record("rate_limited", 0);
      throw error;
    }
  }
  let finished = false;
  return (outcome, latencyMs) => {
    if (finished) return;
    finished = true;
    // Given back first: nothing recording the call (a metric refused, a log that throws) may keep
    // the caller's parallel slot held.
    void admission?.finish(0, 0);
    record(outcome, latencyMs);
  };
}
