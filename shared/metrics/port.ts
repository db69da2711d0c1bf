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
  render(): Promise<{ contentType: string; body: string }>;
}
