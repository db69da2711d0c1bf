import type { Logger } from "../logging/logger";
import type { Sql } from "../store/sql/port";
import { latestArtifact, publishArtifact } from "../store/tables/artifacts";
import { sha256Hex } from "./checksum";
import type { Leadership } from "./config-sync";
import type { ObjectSource } from "./object-source";

/** The artifact name routing models are published under. */
export const ROUTING_MODEL = "routing_model";

export type ArtifactOutcome = "published" | "unchanged" | "skipped" | "invalid" | "refused" | "error";

export interface ArtifactSyncOptions {
  readonly sql: Sql;
  readonly source: ObjectSource;
  readonly name: string;
  readonly leadership: Leadership;
  readonly logger: Logger;
  /** Throws when the object must not be published (a routing model that fails its checks). */
  readonly validate?: (body: Uint8Array) => Promise<void>;
  /** After an artifact is published (announce it to the replicas). */
  readonly onPublished?: (revision: number) => void;
}

/**
 * Routing models (`LLMROUTER_MODEL_S3_*`) through the same path as the config: only the leader
 * fetches, only what changed since the last published version (ETag), checks it, and publishes it
 * with its checksum under the current lease. An object that fails its checks is refused (`invalid`,
 * until the bucket holds another), and the replicas keep the routing model they serve.
 */
export class ArtifactSync {
  readonly #options: ArtifactSyncOptions;
  #etag: string | undefined;
  /** Why the object at `#etag` was refused; undefined once a valid one was taken. */
  #refusal: string | undefined;
  #loaded = false;
  #lastOutcome: ArtifactOutcome | null = null;
  #lastError: string | null = null;

  constructor(options: ArtifactSyncOptions) {
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
    if (!fetched.changed) {
      if (this.#refusal === undefined) return "unchanged";
      this.#lastError = this.#refusal;
      return "invalid";
    }
    if (this.#options.validate !== undefined) {
      try {
        await this.#options.validate(fetched.body);
      } catch (error) {
        // Remembered by ETag, so the same bad object is not downloaded again every interval.
        this.#etag = fetched.etag;
        this.#refusal = error instanceof Error ? error.message : String(error);
        this.#lastError = this.#refusal;
        logger.error("routing model refused; the replicas keep the one they serve", {
          source: source.describe(),
          error: this.#refusal,
        });
        return "invalid";
      }
    }
    this.#refusal = undefined;
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
    this.#options.onPublished?.(published.revision);
    return "published";
  }
}
