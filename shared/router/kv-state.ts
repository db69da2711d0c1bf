import { withDeadline } from "../async/deadline";
import type { Deployment } from "../config/deployment";
import type { Kv } from "../store/kv/port";
import { beginScript, endScript, statsScript } from "./kv-scripts";
import type { CooldownPolicy, DeploymentStats, Outcome, RouterState } from "./types";

/** A replica that dies mid-request must not leave its requests counted as in flight for long. */
const IN_FLIGHT_TTL_MS = 10 * 60_000;
/** Idle deployments' entries expire; an hour-old latency average is no evidence anyway. */
const ENTRY_TTL_MS = 60 * 60_000;
/** A hanging store must not stall routing: past this, the call counts as failed. */
const DEFAULT_TIMEOUT_MS = 500;

const NEUTRAL: DeploymentStats = Object.freeze({
  inFlight: 0,
  rpm: 0,
  tpm: 0,
  latencyMs: undefined,
  cooldownUntil: 0,
});

export interface KvRouterStateOptions {
  /** Key prefix; the braces make it a Redis Cluster hash tag, so one script can reach every key. */
  readonly prefix?: string;
  /** This replica's clock: cooldowns come back as time left and are put on it. */
  readonly now?: () => number;
  readonly timeoutMs?: number;
  /** Called for every store failure (count it); routing carries on with neutral stats. */
  readonly onKvFailure?: (error: unknown) => void;
}

/**
 * Router state shared by every replica through the KV store, with the semantics of
 * `MemoryRouterState`. A store outage degrades routing (neutral stats, no cooldowns) but never
 * fails a request.
 */
export class KvRouterState implements RouterState {
  readonly #kv: Kv;
  readonly #prefix: string;
  readonly #now: () => number;
  readonly #timeoutMs: number;
  readonly #onKvFailure: ((error: unknown) => void) | undefined;

  constructor(kv: Kv, options: KvRouterStateOptions = {}) {
    this.#kv = kv;
    this.#prefix = options.prefix ?? "{routeiq:router}";
    this.#now = options.now ?? Date.now;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#onKvFailure = options.onKvFailure;
  }

  async stats(deployments: readonly Deployment[]): Promise<DeploymentStats[]> {
    if (deployments.length === 0) return [];
    try {
      const stored = await this.#run(
        this.#kv.run(
          statsScript,
          deployments.flatMap(({ id }) => this.#keys(id)),
          [],
        ),
      );
      const now = this.#now();
      return deployments.map((_, i) => {
        const s = stored[i];
        if (s === undefined) return NEUTRAL;
        const { inFlight, rpm, tpm, latencyMs, cooldownLeftMs } = s;
        return {
          inFlight,
          rpm,
          tpm,
          latencyMs,
          cooldownUntil: cooldownLeftMs > 0 ? now + cooldownLeftMs : 0,
        };
      });
    } catch (error) {
      this.#onKvFailure?.(error);
      return deployments.map(() => NEUTRAL);
    }
  }

  begin(deploymentId: string): void {
    this.#kv
      .run(beginScript, this.#keys(deploymentId), [ENTRY_TTL_MS, IN_FLIGHT_TTL_MS])
      .catch((error: unknown) => this.#onKvFailure?.(error));
  }

  async end(deploymentId: string, outcome: Outcome, policy: CooldownPolicy): Promise<boolean> {
    const allowedFails = Number.isFinite(policy.allowedFails) ? Math.max(0, policy.allowedFails) : -1;
    try {
      return await this.#run(
        this.#kv.run(endScript, this.#keys(deploymentId), [
          ENTRY_TTL_MS,
          outcome.ok ? 1 : 0,
          Math.max(0, Math.round(outcome.latencyMs)),
          Math.max(0, Math.round(outcome.tokens)),
          outcome.coolNow ? 1 : 0,
          allowedFails,
          Math.max(0, Math.ceil(policy.cooldownMs)),
        ]),
      );
    } catch (error) {
      this.#onKvFailure?.(error);
      return false;
    }
  }

  #keys(id: string): [entry: string, inFlight: string] {
    return [`${this.#prefix}:e:${id}`, `${this.#prefix}:f:${id}`];
  }

  #run<R>(call: Promise<R>): Promise<R> {
    return withDeadline(call, this.#timeoutMs, "router state store");
  }
}
