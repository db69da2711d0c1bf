import type { Principal } from "../auth/principal";
import type { CacheRoute } from "../cache/key";
import type { Deployment } from "../config/deployment";
import type { AttemptResult, Strategy } from "./types";

/**
 * A choice made for one request before it is routed (a learned router's preference among the
 * group's deployments). Routing still owns the policy: which deployments are healthy, retries,
 * cooldowns and fallbacks; the choice only picks among the healthy ones of the requested group.
 */
export interface RequestChoice {
  /** Used for the requested group in place of the configured strategy; fallback groups keep theirs. */
  readonly strategy: Strategy;
  /** Each attempt on the requested group, as it ends: what an online learner learns from. */
  readonly attempted?: (deployment: Deployment, result: AttemptResult) => void;
}

export interface ChoiceRequest {
  readonly group: string;
  readonly route: CacheRoute;
  /** The OpenAI-format request body, validated. */
  readonly request: unknown;
  readonly principal: Principal;
  readonly requestId: string;
}

export interface PreparedChoice extends RequestChoice {
  /** Response headers saying who chose and why (`x-routeiq-router`, the A/B arm). */
  readonly headers: Readonly<Record<string, string>>;
  /** Merged into the request's spend-log row. */
  readonly metadata: Readonly<Record<string, unknown>>;
}

/** Chooses per request for the model groups it serves; undefined leaves a group to its strategy. Never throws. */
export interface Chooser {
  prepare(request: ChoiceRequest): Promise<PreparedChoice | undefined>;
}
