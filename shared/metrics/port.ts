/** What the gateway reports; the Prometheus adapter names it the way LiteLLM dashboards expect. */
export interface DeploymentCall {
  readonly modelGroup: string;
  readonly deployment: string;
  readonly provider: string;
  /** HTTP status from upstream, or 499/502/504 for aborts, connection errors and timeouts. */
  readonly status: number;
  readonly latencyMs: number;
}

export interface Usage {
  readonly modelGroup: string;
  readonly deployment: string;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cost: number;
}

/** One learned-routing decision (learned_routing): which router and arm, on which features, and whether it chose. */
export interface LearnedDecision {
  readonly modelGroup: string;
  readonly router: string;
  readonly arm: string;
  readonly features: "local" | "embedding" | "none";
  /** `fallback`: nothing to decide with (no routing model yet, say); the group's strategy chose. */
  readonly outcome: "chosen" | "fallback";
}

/** One call through the MCP or A2A gateway. */
export interface UpstreamCall {
  readonly gateway: "mcp" | "a2a";
  /** The MCP server or A2A agent, as registered. */
  readonly upstream: string;
  /** `tools/call`, `message/send`, ... */
  readonly method: string;
  readonly outcome: string;
  readonly latencyMs: number;
}

export interface GatewayMetrics {
  requestStarted(): void;
  requestFinished(route: string, model: string, status: number, latencyMs: number): void;
  deploymentCall(call: DeploymentCall): void;
  timeToFirstToken(modelGroup: string, deployment: string, ms: number): void;
  usage(usage: Usage): void;
  retry(modelGroup: string, deployment: string): void;
  fallback(fromGroup: string, toGroup: string): void;
  /** A deployment entered (`true`) or left (`false`) cooldown. */
  cooldown(modelGroup: string, deployment: string, cooling: boolean): void;
  /** A shared store failed and the gateway carried on without it (fail open, cache bypass, ...). */
  storeFailure(store: "redis" | "database", operation: string): void;
  /** Keys the embedded KV store evicted to stay under its memory bound (cache entries, never limiter state). */
  kvEvicted(count: number): void;
  /** Spend-log entries dropped because the buffer bound was hit during a database outage. */
  spendLogDropped(count: number): void;
  /** A config sync run ended with `outcome`; `revision` is the config revision this replica serves. */
  configSync(outcome: string, revision: number): void;
  /** This replica gained (`true`) or lost (`false`) config-sync leadership. */
  syncLeadership(isLeader: boolean): void;
  /** A reload (file watch, S3 sync, published revision) was refused; `reason` says why. */
  configReloadRefused(reason: string): void;
  /** A learned-routing decision and how long it took. */
  learnedDecision(decision: LearnedDecision, latencyMs: number): void;
  /**
   * A routing model was checked: by the sync leader before publishing (`publish`: published or
   * refused), or by a replica before serving it (`load`: loaded or refused). `revision`: the one served.
   */
  routerArtifact(stage: "publish" | "load", outcome: string, revision?: number): void;
  /** Feedback on a learned-routing decision: recorded, duplicate, or not found. */
  routerFeedback(modelGroup: string, router: string, outcome: string): void;
  /**
   * A call through the MCP or A2A gateway (`tools/call`, `message/send`, ...) to a registered
   * upstream, with its outcome (ok, error, refused, rate_limited) and how long it took.
   */
  upstreamCall(call: UpstreamCall): void;
  render(): Promise<{ contentType: string; body: string }>;
}
