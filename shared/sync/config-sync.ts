import type { ConfigHolder } from "../config/config-holder";
import { ConfigError, type Env, loadConfig } from "../config/load";
import {
  allowsNoMasterKey,
  allowsSyncedMasterKeyChange,
  publishRefusal,
  ReloadRefused,
} from "../config/master-key-rules";
import type { RuntimeConfig } from "../config/runtime-config";
import type { Logger } from "../logging/logger";
import type { Sql } from "../store/sql/port";
import { latestRevision, publishRevision } from "../store/tables/config-revisions";
import type { Lease } from "../store/tables/leases";
import { sha256Hex } from "./checksum";
import type { ObjectSource } from "./object-source";

/** Who may publish: the elected leader's current lease, or nobody when election is off. */
export interface Leadership {
  isLeader(): boolean;
  currentLease(): Lease | undefined;
}

export type SyncOutcome = "published" | "applied" | "unchanged" | "skipped" | "invalid" | "refused" | "error";

export interface SyncStatus {
  readonly lastSyncAt: string | null;
  readonly lastOutcome: SyncOutcome | null;
  readonly lastError: string | null;
  readonly lastEtag: string | null;
  readonly skippedSyncCount: number;
}

export interface ConfigSyncOptions {
  readonly sql: Sql;
  readonly source: ObjectSource;
  /** Undefined when election is off: this process applies what it fetches to itself. */
  readonly leadership: Leadership | undefined;
  /**
   * The config this process serves, if it is a gateway. Election off: what is fetched is applied
   * to it. Election on: what a publication is checked against while nothing was published yet.
   */
  readonly holder: ConfigHolder | undefined;
  readonly env: Env;
  readonly logger: Logger;
  /** After a revision is published (announce it to the other replicas). */
  readonly onPublished?: (revision: number) => void;
  /** The ETag already published (a one-shot run starts from the latest revision's). */
  readonly initialEtag?: string;
}

/**
 * One config sync run, the same for every host (gateway loop, standalone loop, scheduled Lambda,
 * `npm run sync`): fetch only if changed (ETag), validate with the gateway's own schema, then
 * publish a fenced revision (election on: only the leader, and only under a current lease) or
 * apply it to this process (election off: every replica syncs on its own). An invalid object is
 * refused, and so is one that would take the master key away from the gateways; the last good
 * config keeps serving, and every later run says `invalid` until the bucket holds a valid object.
 */
export class ConfigSync {
  readonly #options: ConfigSyncOptions;
  #etag: string | undefined;
  /** Why the object at `#etag` was refused; undefined once a valid one was taken. */
  #refusal: string | undefined;
  #status: SyncStatus = {
    lastSyncAt: null,
    lastOutcome: null,
    lastError: null,
    lastEtag: null,
    skippedSyncCount: 0,
  };

  constructor(options: ConfigSyncOptions) {
    this.#options = options;
    this.#etag = options.initialEtag;
  }

  get status(): SyncStatus {
    return this.#status;
  }

  async runOnce(): Promise<SyncOutcome> {
    const outcome = await this.#run().catch((error: unknown) => {
      this.#record("error", error instanceof Error ? error.message : String(error));
      this.#options.logger.error("config sync failed", {
        source: this.#options.source.describe(),
        error: this.#status.lastError,
      });
      return "error" as const;
    });
    return outcome;
  }

  #record(outcome: SyncOutcome, error: string | null = null): SyncOutcome {
    this.#status = {
      ...this.#status,
      lastSyncAt: new Date().toISOString(),
      lastOutcome: outcome,
      lastError: error ?? (outcome === "refused" ? this.#status.lastError : null),
      lastEtag: this.#etag ?? null,
      skippedSyncCount: this.#status.skippedSyncCount + (outcome === "skipped" ? 1 : 0),
    };
    return outcome;
  }

  async #run(): Promise<SyncOutcome> {
    const { leadership, holder, source, logger, env } = this.#options;
    // Followers skip quietly: one replica fetching per interval, not N.
    if (leadership !== undefined && !leadership.isLeader()) return this.#record("skipped");
    const fetched = await source.fetch(this.#etag);
    // The object refused last time is still there: the bucket holds an invalid config, which is
    // no success, whatever the ETag says.
    if (!fetched.changed)
      return this.#record(this.#refusal === undefined ? "unchanged" : "invalid", this.#refusal);
    const body = new TextDecoder().decode(fetched.body);
    const load = () => loadConfig(body, env, source.describe());
    const lease = leadership?.currentLease();
    const mayOpen = allowsNoMasterKey(env);
    try {
      if (leadership === undefined && holder !== undefined) holder.reload(source.describe(), load);
      else {
        const { config } = load();
        if (lease !== undefined) await this.#checkPublishable(config, lease, mayOpen);
      }
    } catch (error) {
      // Only the object can be invalid: a database that cannot be read to compare it with is an
      // error of the run, and the same object is tried again next time.
      if (!(error instanceof ConfigError)) throw error;
      const problems = error.problems.join("; ");
      // Remember the etag so the same bad object is not re-downloaded every interval.
      this.#etag = fetched.etag;
      this.#refusal = problems;
      logger.error("config object refused; keeping the last good config", {
        source: source.describe(),
        problems,
      });
      return this.#record("invalid", problems);
    }
    this.#refusal = undefined;
    if (leadership === undefined) {
      this.#etag = fetched.etag;
      return this.#record("applied");
    }
    const published =
      lease === undefined
        ? undefined
        : await publishRevision(this.#options.sql, lease, {
            etag: fetched.etag,
            checksum: await sha256Hex(fetched.body),
            body,
          });
    if (published === undefined) {
      logger.warn("config publish refused: this replica's lease is no longer current", {
        source: source.describe(),
      });
      return this.#record("refused", "publish refused by the fencing check: leadership was lost");
    }
    this.#etag = fetched.etag;
    logger.info("config revision published", { revision: published.revision, etag: fetched.etag });
    this.#options.onPublished?.(published.revision);
    return this.#record("published");
  }

  /**
   * Replicas refuse a revision that would take their master key away; the publisher refuses it
   * first, so the status says so, unless its environment opts out (ROUTEIQ_ALLOW_NO_MASTER_KEY).
   * Checked against the latest published revision, else against what this gateway serves.
   */
  async #checkPublishable(config: RuntimeConfig, lease: Lease, mayOpen: boolean): Promise<void> {
    const { sql, env, holder, source } = this.#options;
    const allowChange = allowsSyncedMasterKeyChange(env);
    if (mayOpen && allowChange) return;
    const latest = await latestRevision(sql, lease.lockName);
    let baseline = holder?.current();
    if (latest !== undefined) {
      try {
        baseline = loadConfig(latest.body, env, `revision ${latest.revision}`).config;
      } catch {
        // A revision this environment cannot load says nothing about its key; fall back.
      }
    }
    const refusal = baseline === undefined ? undefined : publishRefusal(baseline, config, allowChange);
    if (refusal !== undefined && !(mayOpen && refusal.reason === "master_key_removed")) {
      throw new ReloadRefused(source.describe(), refusal);
    }
  }
}
