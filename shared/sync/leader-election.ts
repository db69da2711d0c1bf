import { unrefTimer } from "../async/unref-timer";
import type { Logger } from "../logging/logger";
import type { SqlExecutor } from "../store/sql/port";
import { acquireLease, type Lease, releaseLease, renewLease } from "../store/tables/leases";
import type { ElectionSettings } from "./election-settings";

export interface LeaderElectionOptions {
  readonly sql: SqlExecutor;
  readonly settings: ElectionSettings;
  readonly holderId: string;
  readonly logger: Logger;
  /** Called on every gain (true) and loss (false) of leadership. */
  readonly onChange?: (isLeader: boolean) => void;
  /** Monotonic milliseconds; wall-clock jumps must not stretch a lease. */
  readonly now?: () => number;
}

export interface LeaderElectionStatus {
  readonly enabled: true;
  readonly is_leader: boolean;
  readonly holder_id: string;
  readonly lease_expires_at: string | null;
  readonly fencing_token: number | null;
  /** Gains plus losses of leadership since start. */
  readonly leadership_changes: number;
  readonly database_errors: number;
}

type Timer = ReturnType<typeof setTimeout>;

const describeError = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Keeps (or competes for) one database lease per lock name. Leadership is believed only until a
 * local deadline — the monotonic time the last successful acquire/renew was sent, plus the lease —
 * which cannot be later than the expiry the database set, so a replica whose renewals hang or
 * whose clock is off stops acting as leader no later than the others may take over.
 */
export class LeaderElection {
  readonly #sql: SqlExecutor;
  readonly #settings: ElectionSettings;
  readonly #holderId: string;
  readonly #logger: Logger;
  readonly #onChange: ((isLeader: boolean) => void) | undefined;
  readonly #now: () => number;

  #running = false;
  #lease: Lease | undefined;
  #deadline = 0;
  /** What was last reported through onChange, so each transition is reported exactly once. */
  #reported = false;
  #leadershipChanges = 0;
  #databaseErrors = 0;
  #failureStreak = 0;
  #roundTimer: Timer | undefined;
  #deadlineTimer: Timer | undefined;
  #inflight: Promise<void> | undefined;

  constructor(options: LeaderElectionOptions) {
    this.#sql = options.sql;
    this.#settings = options.settings;
    this.#holderId = options.holderId;
    this.#logger = options.logger;
    this.#onChange = options.onChange;
    this.#now = options.now ?? (() => performance.now());
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#schedule(0);
  }

  /**
   * Stops competing and gives the lease back so another replica takes over at once.
   * `release: false` leaves the lease to expire, as a crashed replica would (tests only).
   */
  async stop({ release = true }: { release?: boolean } = {}): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    clearTimeout(this.#roundTimer);
    clearTimeout(this.#deadlineTimer);
    // Leadership ends now, even if the round in flight or the release below takes a while.
    this.#sync("stopped");
    await this.#inflight;
    const lease = this.#lease;
    this.#lease = undefined;
    if (!release || lease === undefined) return;
    try {
      await releaseLease(this.#sql, lease);
    } catch (error) {
      this.#logger.warn("config sync lease release failed; it will expire on its own", {
        lock_name: lease.lockName,
        error: describeError(error),
      });
    }
  }

  isLeader(): boolean {
    return this.#sync("lease deadline passed without a renewal");
  }

  /** The lease this replica leads under, for fenced writes; undefined when not leading. */
  currentLease(): Lease | undefined {
    return this.isLeader() ? this.#lease : undefined;
  }

  status(): LeaderElectionStatus {
    const lease = this.currentLease();
    return {
      enabled: true,
      is_leader: lease !== undefined,
      holder_id: this.#holderId,
      lease_expires_at: lease?.expiresAt.toISOString() ?? null,
      fencing_token: lease?.fencingToken ?? null,
      leadership_changes: this.#leadershipChanges,
      database_errors: this.#databaseErrors,
    };
  }

  #leading(): boolean {
    return this.#running && this.#lease !== undefined && this.#now() < this.#deadline;
  }

  /** Reports a change of leadership (once), with `lossReason` when it was lost; returns the state. */
  #sync(lossReason: string): boolean {
    const leading = this.#leading();
    if (leading === this.#reported) return leading;
    this.#reported = leading;
    this.#leadershipChanges++;
    const fields = { lock_name: this.#settings.lockName, holder_id: this.#holderId };
    if (leading) {
      this.#logger.info("config sync leadership gained", {
        ...fields,
        fencing_token: this.#lease?.fencingToken,
      });
    } else {
      this.#logger.warn("config sync leadership lost", { ...fields, reason: lossReason });
    }
    try {
      this.#onChange?.(leading);
    } catch (error) {
      this.#logger.error("config sync leadership handler failed", { ...fields, error: describeError(error) });
    }
    return leading;
  }

  #schedule(delayMs: number): void {
    this.#roundTimer = unrefTimer(
      setTimeout(() => {
        const startedAt = this.#now();
        this.#inflight = this.#round().finally(() => {
          this.#inflight = undefined;
          // Keep the cadence, but a slow round delays the next instead of overlapping it.
          const elapsed = this.#now() - startedAt;
          if (this.#running)
            this.#schedule(Math.max(0, this.#settings.renewIntervalSeconds * 1000 - elapsed));
        });
      }, delayMs),
    );
  }

  async #round(): Promise<void> {
    const held = this.#leading() ? this.#lease : undefined;
    const { leaseSeconds } = this.#settings;
    // Taken before the statement goes out: the database's expiry can only be later than this.
    const sentAt = this.#now();
    let lease: Lease | undefined;
    try {
      lease =
        held === undefined
          ? await acquireLease(this.#sql, this.#settings.lockName, this.#holderId, leaseSeconds)
          : await renewLease(this.#sql, held, leaseSeconds);
    } catch (error) {
      this.#databaseFailed(error);
      if (held !== undefined) this.#drop("lease renewal failed");
      return;
    }
    this.#databaseAnswered();
    if (lease === undefined) {
      if (held !== undefined) this.#drop("lease expired or taken by another holder");
      return;
    }
    this.#lease = lease;
    this.#deadline = sentAt + leaseSeconds * 1000;
    if (this.#sync("lease deadline passed before the renewal answered")) this.#armDeadline();
  }

  /** Gives up leadership at once: acting on a lease that may be gone is what fencing guards against. */
  #drop(reason: string): void {
    this.#lease = undefined;
    clearTimeout(this.#deadlineTimer);
    this.#sync(reason);
  }

  /** Reports the loss when the deadline passes, even if the round renewing the lease hangs. */
  #armDeadline(): void {
    clearTimeout(this.#deadlineTimer);
    this.#deadlineTimer = unrefTimer(
      setTimeout(
        () => {
          if (this.isLeader()) this.#armDeadline();
        },
        Math.max(0, this.#deadline - this.#now()),
      ),
    );
  }

  #databaseFailed(error: unknown): void {
    this.#databaseErrors++;
    // One line per outage, not one per tick.
    if (this.#failureStreak++ === 0) {
      this.#logger.warn("config sync lease query failed", {
        lock_name: this.#settings.lockName,
        error: describeError(error),
      });
    }
  }

  #databaseAnswered(): void {
    if (this.#failureStreak > 0) {
      this.#logger.info("config sync lease queries succeed again", {
        lock_name: this.#settings.lockName,
        failed_rounds: this.#failureStreak,
      });
    }
    this.#failureStreak = 0;
  }
}
