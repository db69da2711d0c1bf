import type { Logger } from "../logging/logger";
import type { Sql } from "../store/sql/port";
import { latestArtifact, publishArtifact } from "../store/tables/artifacts";
import { sha256Hex } from "./checksum";
import type { Leadership } from "./config-sync";
import type { ObjectSource } from "./object-source";

/** The artifact name routing models are published under. */
export const ROUTING_MODEL = "routing_model";

export type ArtifactOutcome = "published" | "unchanged" | "skipped" | "refused" | "error";

/**
 * Routing models (`LLMROUTER_MODEL_S3_*`) through the same path as the config: only the leader
 * fetches, only what changed since the last published version (ETag), and publishes it with its
 * checksum under the current lease.
 */
export class ArtifactSync {
  readonly #options: { sql: Sql; source: ObjectSource; name: string; leadership: Leadership; logger: Logger };
  #etag: string | undefined;
  #loaded = false;
  #lastOutcome: ArtifactOutcome | null = null;
  #lastError: string | null = null;

  constructor(options: {
    sql: Sql;
    source: ObjectSource;
    name: string;
    leadership: Leadership;
    logger: Logger;
  }) {
    this.#options = options;
  }

  get lastOutcome(): ArtifactOutcome | null {
    return this.#lastOutcome;
  }

  /** Why the last run failed (an object over its size cap, S3 unreachable...); null after a good run. */
  get lastError(): string | null {
    return this.#lastError;
  }

  async runOnce(): Promise<ArtifactOutcome> {
    this.#lastError = null;
    this.#lastOutcome = await this.#run().catch((error: unknown) => {
      this.#lastError = error instanceof Error ? error.message : String(error);
      this.#options.logger.error("routing model sync failed", {
        source: this.#options.source.describe(),
        error: this.#lastError,
      });
      return "error" as const;
    });
    return this.#lastOutcome;
  }

  async #run(): Promise<ArtifactOutcome> {
    const { sql, source, name, leadership, logger } = this.#options;
    const lease = leadership.currentLease();
    if (!leadership.isLeader() || lease === undefined) return "skipped";
    if (!this.#loaded) {
      this.#etag = (await latestArtifact(sql, name))?.etag ?? undefined;
      this.#loaded = true;
    }
    const fetched = await source.fetch(this.#etag);
    if (!fetched.changed) return "unchanged";
    const published = await publishArtifact(sql, lease, {
      name,
      etag: fetched.etag,
      checksum: await sha256Hex(fetched.body),
      body: fetched.body,
    });
    if (published === undefined) return "refused";
    this.#etag = fetched.etag;
    logger.info("routing model published", {
      name,
      revision: published.revision,
      checksum: published.checksum,
    });
    return "published";
  }
}
