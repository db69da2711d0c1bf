import type { Deployment } from "../config/deployment";

/** What the router knows about a deployment right now (shared across replicas from issue 3 on). */
export interface DeploymentStats {
  /** Requests currently in flight to this deployment. */
  readonly inFlight: number;
  /** Requests started in the current minute. */
  readonly rpm: number;
  /** Tokens used in the current minute. */
  readonly tpm: number;
  /** Moving average of successful request latency, in ms; undefined until one succeeded. */
  readonly latencyMs: number | undefined;
  /** Epoch ms until which the deployment is cooling down (0 when it is not). */
  readonly cooldownUntil: number;
}

export interface Candidate {
  readonly deployment: Deployment;
  readonly stats: DeploymentStats;
}

export interface PickContext {
  /** Rough prompt size, for tpm headroom checks. */
  readonly estimatedTokens: number;
  /** Uniform in [0, 1); injected so tests are deterministic. */
  readonly random: () => number;
  /** `router_settings.routing_strategy_args`, for strategies that take options. */
  readonly args: Readonly<Record<string, unknown>>;
}

/**
 * A routing strategy: one pure function choosing among healthy candidates (never empty).
 * Returning undefined means none can take the request (e.g. all at their rpm/tpm limit).
 */
export type Strategy = (candidates: readonly Candidate[], ctx: PickContext) => Candidate | undefined;

/**
 * How an attempt ended, for the deployment's health: `ok` (a latency sample), `failed` (counts
 * toward cooldown), or `released` (says nothing about the upstream: the client went away, or the
 * gateway itself could not make the call).
 */
export type AttemptResult = "ok" | "failed" | "released";

export interface Outcome {
  readonly result: AttemptResult;
  readonly latencyMs: number;
  readonly tokens: number;
  /** Cool down at once (429, auth or not-found from upstream) instead of counting toward allowed_fails. */
  readonly coolNow: boolean;
}

export interface CooldownPolicy {
  readonly allowedFails: number;
  readonly cooldownMs: number;
}

/**
 * Router state behind one small port, so it can live in process memory or be shared in Redis.
 * Reads take a whole group in one call (one round trip for a remote store).
 */
export interface RouterState {
  stats(deployments: readonly Deployment[]): Promise<DeploymentStats[]>;
  /** A request to `deploymentId` starts: counts toward in-flight and rpm. */
  begin(deploymentId: string): void;
  /** The request ended; returns true when this outcome put the deployment into cooldown. */
  end(deploymentId: string, outcome: Outcome, policy: CooldownPolicy): Promise<boolean>;
}
