/**
 * The object-source port: where config files and routing models come from (S3 or any
 * S3-compatible store, or a local file). Polled by the sync worker; `previousEtag` lets an
 * unchanged object cost one cheap request and no download.
 */
export type FetchResult = { changed: false } | { changed: true; etag: string; body: Uint8Array };

export interface ObjectSource {
  /** `changed: false` only when the object still has `previousEtag`; without one, always fetches. */
  fetch(previousEtag: string | undefined, signal?: AbortSignal): Promise<FetchResult>;
  /** Where the object lives, for logs and status (`s3://bucket/key` or a path); never credentials. */
  describe(): string;
}
