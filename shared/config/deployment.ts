/** One upstream a model group can route to, resolved from a `model_list` entry. */
export interface Deployment {
  /** Stable id: `model_info.id`, else `<provider>/<model>` (with `#n` when a group repeats it). */
  readonly id: string;
  /** The public name clients ask for (`model_name`). */
  readonly modelGroup: string;
  /** Provider key, e.g. `openai`, `azure`, `anthropic`, `groq`, `mock`. */
  readonly provider: string;
  /**
   * Model name sent upstream (the part after `<provider>/`). In a wildcard route's config entry, a
   * template (`*`) that each request fills in (see router/wildcard-routes.ts).
   */
  readonly model: string;
  readonly apiBase: string | undefined;
  readonly apiKey: string | undefined;
  readonly apiVersion: string | undefined;
  readonly organization: string | undefined;
  readonly rpm: number | undefined;
  readonly tpm: number | undefined;
  readonly weight: number | undefined;
  readonly timeoutMs: number;
  readonly maxRetries: number | undefined;
  readonly inputCostPerToken: number | undefined;
  readonly outputCostPerToken: number | undefined;
  /** `model_info.mode`: what the model serves, for health probes. */
  readonly mode: "chat" | "completion" | "embedding" | undefined;
  readonly maxInputTokens: number | undefined;
  readonly maxOutputTokens: number | undefined;
  readonly extraHeaders: Readonly<Record<string, string>>;
  /** The `mock_*`, `aws_*` and `vertex_*` settings of `litellm_params`, read by their providers. */
  readonly params: Readonly<Record<string, unknown>>;
  /** `model_info.health_check_model`: what `GET /health` probes a wildcard route with. */
  readonly healthCheckModel?: string;
  /**
   * Set on a deployment resolved from a wildcard route for one request: the route's pattern. Its
   * `model` then is the name the client asked for.
   */
  readonly wildcard?: string;
}
