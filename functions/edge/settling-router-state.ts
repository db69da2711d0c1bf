import type { Deployment } from "../../shared/config/deployment";
import type { CooldownPolicy, DeploymentStats, Outcome, RouterState } from "../../shared/router/types";

/**
 * Router state whose writes can be waited for: the outcomes being written (a failure is written at
 * once, since it may start a cooldown) and, through `flushPending`, the counts held back for a
 * batched write. A Worker waits for both before its request may end.
 */
export class SettlingRouterState implements RouterState {
  readonly #inner: RouterState;
  readonly #flushPending: () => Promise<void>;
  readonly #ending = new Set<Promise<unknown>>();

  constructor(inner: RouterState, flushPending: () => Promise<void>) {
    this.#inner = inner;
    this.#flushPending = flushPending;
  }

  stats(deployments: readonly Deployment[]): Promise<DeploymentStats[]> {
    return this.#inner.stats(deployments);
  }

  begin(deploymentId: string): void {
    this.#inner.begin(deploymentId);
  }

  end(deploymentId: string, outcome: Outcome, policy: CooldownPolicy): Promise<boolean> {
    const ended = this.#inner.end(deploymentId, outcome, policy);
    const tracked = ended.catch(() => {}).finally(() => this.#ending.delete(tracked));
    this.#ending.add(tracked);
    return ended;
  }

  /** Resolves once every outcome reported so far is written. */
  async flush(): Promise<void> {
    await Promise.all([...this.#ending]);
    await this.#flushPending();
  }
}
