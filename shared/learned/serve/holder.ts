import type { LoadedArtifact } from "../router";

export interface ServedArtifact {
  readonly artifact: LoadedArtifact;
  /** The published revision (0 for a local file). */
  readonly revision: number;
  readonly checksum: string;
  readonly source: string;
  readonly loadedAt: Date;
}

export interface Refusal {
  readonly revision: number;
  readonly source: string;
  readonly error: string;
  readonly at: Date;
}

/**
 * The routing model this replica serves, swapped whole: a decision reads `current` once and keeps
 * that artifact, so requests in flight finish on it while new ones see the new one. A refused
 * artifact changes nothing but the status.
 */
export class RouterHolder {
  #current: ServedArtifact | undefined;
  #lastRefusal: Refusal | undefined;
  #refusals = 0;

  get current(): ServedArtifact | undefined {
    return this.#current;
  }

  swap(served: ServedArtifact): void {
    this.#current = served;
  }

  refuse(refusal: Refusal): void {
    this.#lastRefusal = refusal;
    this.#refusals += 1;
  }

  /** For `/llmrouter/config/sync/status`. */
  status(): Record<string, unknown> {
    const c = this.#current;
    const r = this.#lastRefusal;
    return {
      serving:
        c === undefined
          ? null
          : {
              revision: c.revision,
              checksum: c.checksum,
              source: c.source,
              loaded_at: c.loadedAt.toISOString(),
              trained_at: c.artifact.createdAt,
              routers: c.artifact.routers.map((router) => `${router.type}/${router.input}`),
              candidates: c.artifact.candidates.map((candidate) => candidate.name),
            },
      refused_count: this.#refusals,
      last_refused:
        r === undefined
          ? null
          : { revision: r.revision, source: r.source, error: r.error, at: r.at.toISOString() },
    };
  }
}
