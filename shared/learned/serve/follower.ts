import type { Logger } from "../../logging/logger";
import type { Sql } from "../../store/sql/port";
import { artifactBody, latestArtifact } from "../../store/tables/artifacts";
import { sha256Hex } from "../../sync/checksum";
import { ArtifactError, decodeArtifact } from "../artifact/decode";
import type { RouterHolder } from "./holder";

export const ARTIFACT_CHANNEL = "artifact:revision";

export interface ArtifactLoading {
  readonly holder: RouterHolder;
  readonly publicKey: CryptoKey | undefined;
  readonly logger: Logger;
  /** Each artifact loaded or refused, with its revision (a metric). */
  readonly onOutcome?: (outcome: "loaded" | "refused", revision: number) => void;
}

/**
 * Checks an artifact's bytes (checksum when one is known, signature when a key is configured,
 * then the format) and swaps it in; one that fails is refused, logged and counted, and the router
 * in force keeps serving. Returns whether it was loaded.
 */
export async function loadArtifact(
  loading: ArtifactLoading,
  body: Uint8Array,
  origin: { revision: number; source: string; checksum?: string },
): Promise<boolean> {
  const { holder, logger } = loading;
  const checksum = await sha256Hex(body);
  try {
    if (origin.checksum !== undefined && origin.checksum !== checksum) {
      throw new ArtifactError(
        `checksum mismatch: the body's SHA-256 is ${checksum}, ${origin.checksum} was published`,
      );
    }
    const artifact = await decodeArtifact(body, { publicKey: loading.publicKey });
    holder.swap({
      artifact,
      revision: origin.revision,
      checksum,
      source: origin.source,
      loadedAt: new Date(),
    });
    logger.info("routing model loaded", {
      revision: origin.revision,
      source: origin.source,
      checksum,
      routers: artifact.routers.map((r) => `${r.type}/${r.input}`),
    });
    loading.onOutcome?.("loaded", origin.revision);
    return true;
  } catch (error) {
    if (!(error instanceof ArtifactError)) throw error;
    holder.refuse({ revision: origin.revision, source: origin.source, error: error.message, at: new Date() });
    logger.error("routing model refused; the previous one keeps serving", {
      revision: origin.revision,
      source: origin.source,
      error: error.message,
    });
    loading.onOutcome?.("refused", origin.revision);
    return false;
  }
}

/**
 * Keeps a replica on the newest published routing model (`routeiq_artifacts`), as
 * RevisionFollower does for the config: one indexed read to see whether a newer revision exists,
 * then its body, checked and swapped in. Announcements call `check` at once; polling is the fallback.
 */
export class ArtifactFollower {
  readonly #sql: Sql;
  readonly #name: string;
  readonly #loading: ArtifactLoading;
  #applied = 0;
  #checking: Promise<void> | undefined;

  constructor(options: { sql: Sql; name: string } & ArtifactLoading) {
    this.#sql = options.sql;
    this.#name = options.name;
    this.#loading = options;
  }

  /** The newest revision seen, loaded or refused (0 before any was published). */
  get applied(): number {
    return this.#applied;
  }

  check(): Promise<void> {
    this.#checking ??= this.#check().finally(() => {
      this.#checking = undefined;
    });
    return this.#checking;
  }

  async #check(): Promise<void> {
    const latest = await latestArtifact(this.#sql, this.#name);
    if (latest === undefined || latest.revision <= this.#applied) return;
    const body = await artifactBody(this.#sql, latest.revision);
    if (body === undefined) return;
    await loadArtifact(this.#loading, body, {
      revision: latest.revision,
      source: `revision ${latest.revision} (${latest.publisher})`,
      checksum: latest.checksum,
    });
    // A refused revision is not retried: it stays refused until a newer one is published.
    this.#applied = latest.revision;
  }
}
