import type { ConfigHolder } from "../config/config-holder";
import { ConfigError, type Env, loadConfig } from "../config/load";
import type { Logger } from "../logging/logger";
import type { Sql } from "../store/sql/port";
import { latestRevision } from "../store/tables/config-revisions";

export const REVISION_CHANNEL = "config:revision";

/**
 * Keeps a replica on the newest published config revision: checks the revision number (one
 * indexed read) and loads, validates and swaps in a newer one. Pub/sub announcements call `check`
 * at once; the poll is the fallback when Redis is absent or a message was missed.
 */
export class RevisionFollower {
  readonly #sql: Sql;
  readonly #holder: ConfigHolder;
  readonly #lockName: string;
  readonly #env: Env;
  readonly #logger: Logger;
  #applied = 0;
  #checking: Promise<void> | undefined;

  constructor(options: { sql: Sql; holder: ConfigHolder; lockName: string; env: Env; logger: Logger }) {
    this.#sql = options.sql;
    this.#holder = options.holder;
    this.#lockName = options.lockName;
    this.#env = options.env;
    this.#logger = options.logger;
  }

  /** The revision this replica serves (0 before any was published). */
  get applied(): number {
    return this.#applied;
  }

  /** Loads the newest revision if it is newer than the one served; concurrent calls share one read. */
  check(): Promise<void> {
    this.#checking ??= this.#check().finally(() => {
      this.#checking = undefined;
    });
    return this.#checking;
  }

  async #check(): Promise<void> {
    const latest = await latestRevision(this.#sql, this.#lockName);
    if (latest === undefined || latest.revision <= this.#applied) return;
    try {
      this.#holder.reload(
        `revision ${latest.revision} (${latest.publisher})`,
        () => loadConfig(latest.body, this.#env, `revision ${latest.revision}`),
        { revision: latest.revision },
      );
      this.#logger.info("config revision applied", { revision: latest.revision, etag: latest.etag });
    } catch (error) {
      // A published revision was validated by its publisher; one that fails here (say, an env var
      // missing on this replica, or a master key this replica would lose) is skipped, and the last
      // good config keeps serving.
      const problems = error instanceof ConfigError ? error.problems : [String(error)];
      this.#logger.error("config revision refused on this replica", { revision: latest.revision, problems });
    }
    this.#applied = latest.revision;
  }
}
