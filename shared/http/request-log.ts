import type { Context } from "hono";
import type { Principal } from "../auth/principal";
import type { LogFields } from "../logging/logger";
import type { GatewayEnv } from "./env";

/** Who called, as a log may show it: a key's alias, else the start of its hash; never the key. */
function callerOf(principal: Principal | undefined): string | undefined {
  if (principal === undefined) return undefined;
  if (principal.kind !== "virtual_key") return principal.kind;
  return principal.context.key.keyAlias ?? `${principal.keyHash.slice(0, 12)}…`;
}

/**
 * The one line an API request leaves in the log when it ends (streams: when the stream ends):
 * who, which model group and deployment, how many attempts, the status, latency and tokens.
 * Never the prompt or the answer.
 */
export function requestLogFields(c: Context<GatewayEnv>, status: number, latencyMs: number): LogFields {
  const usage = c.get("usage");
  const attempts = c.res.headers.get("x-routeiq-attempts");
  return {
    request_id: c.get("requestId"),
    method: c.req.method,
    route: c.req.routePath,
    key: callerOf(c.get("principal")),
    model: c.get("requestedModel"),
    deployment: c.res.headers.get("x-routeiq-deployment") ?? undefined,
    status,
    attempts: attempts === null ? undefined : Number(attempts),
    latency_ms: latencyMs,
    prompt_tokens: usage?.prompt_tokens,
    completion_tokens: usage?.completion_tokens,
    cache: c.res.headers.get("x-routeiq-cache") ?? undefined,
  };
}
