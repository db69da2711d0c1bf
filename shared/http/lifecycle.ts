/**
 * In-flight request accounting and drain state for one process. Readiness reads `draining`;
 * shutdown waits on `idle()` so requests (streams too) finish before the process exits.
 */
export class Lifecycle {
  #inFlight = 0;
  #draining = false;
  #waiters: Array<() => void> = [];

  get inFlight(): number {
    return this.#inFlight;
  }

  get draining(): boolean {
    return this.#draining;
  }

  startDrain(): void {
    this.#draining = true;
  }

  enter(): void {
    this.#inFlight += 1;
  }

  leave(): void {
    this.#inFlight = Math.max(0, this.#inFlight - 1);
    if (this.#inFlight === 0) for (const resolve of this.#waiters.splice(0)) resolve();
  }

  /** Resolves when nothing is in flight, or after `timeoutMs`; true when it drained cleanly. */
  idle(timeoutMs: number): Promise<boolean> {
    if (this.#inFlight === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.#waiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }
}
