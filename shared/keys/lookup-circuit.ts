/**
 * Whether key lookups reach Postgres. After a failure, lookups stop going there (they answer from
 * what the replica already holds, without waiting on a dead or hung database) except one probe
 * per `probeIntervalMs`; the first lookup that succeeds closes the circuit again.
 */
export class LookupCircuit {
  readonly #probeIntervalMs: number;
  #downSince: number | undefined;
  #probedAt = Number.NEGATIVE_INFINITY;

  constructor(probeIntervalMs = 250) {
    this.#probeIntervalMs = probeIntervalMs;
  }

  /** When lookups started failing; undefined while Postgres answers. */
  get downSince(): number | undefined {
    return this.#downSince;
  }

  /** Whether a lookup starting now may go to Postgres (taking the probe slot while it is down). */
  mayTry(now: number): boolean {
    if (this.#downSince === undefined) return true;
    if (now - this.#probedAt < this.#probeIntervalMs) return false;
    this.#probedAt = now;
    return true;
  }

  /** Records a failed lookup; true when it opened the circuit. */
  failed(now: number): boolean {
    if (this.#downSince !== undefined) return false;
    this.#downSince = now;
    this.#probedAt = now;
    return true;
  }

  /** Records an answered lookup; true when it closed the circuit. */
  succeeded(): boolean {
    if (this.#downSince === undefined) return false;
    this.#downSince = undefined;
    return true;
  }
}
