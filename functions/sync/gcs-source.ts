import type { File, Storage } from "@google-cloud/storage";
import type { FetchResult, ObjectSource } from "../../shared/sync/object-source";

export interface GcsSourceOptions {
  /** `gs://bucket/object`, as the environment names it. */
  readonly uri: string;
  /** The largest object accepted, in bytes; a bigger one fails the fetch before it is downloaded. */
  readonly maxBytes: number;
  /** What sets `maxBytes` (an environment variable), named in the error. */
  readonly maxBytesSetting?: string;
  /**
   * A stand-in for the GCS JSON API (STORAGE_EMULATOR_HOST): then no credentials are looked for.
   * Unset: storage.googleapis.com with application default credentials (workload identity on GKE).
   */
  readonly apiEndpoint?: string;
}

/** `gs://bucket/path/to/object` → its bucket and object name; undefined for anything else. */
export function parseGsUri(uri: string): { bucket: string; object: string } | undefined {
  const match = /^gs:\/\/([^/]+)\/(.+)$/.exec(uri);
  return match === null ? undefined : { bucket: match[1] as string, object: match[2] as string };
}

const statusOf = (error: unknown): number | undefined =>
  (error as { code?: unknown } | null)?.code as number | undefined;

/**
 * Reads one GCS object through `@google-cloud/storage`. The object's generation plays the ETag's
 * part: a poll reads its metadata (one small request) and downloads only when the generation
 * changed, that very generation, so a write landing between the two is read next time, not mixed in.
 */
export function gcsSource(options: GcsSourceOptions): ObjectSource {
  const at = parseGsUri(options.uri);
  if (at === undefined) throw new Error(`"${options.uri}" is not a gs://bucket/object URI`);
  const location = `gs://${at.bucket}/${at.object}`;
  let storage: Promise<Storage> | undefined;
  // Loaded on first use: a process that reads S3 or a file never loads the GCS client.
  const client = () => {
    storage ??= import("@google-cloud/storage").then(
      ({ Storage }) =>
        new Storage(
          options.apiEndpoint === undefined
            ? {}
            : { apiEndpoint: options.apiEndpoint, projectId: "emulator" },
        ),
    );
    return storage;
  };
  const failed = (error: unknown): Error =>
    statusOf(error) === 404
      ? new Error(`object ${location} not found (bucket "${at.bucket}", object "${at.object}")`, {
          cause: error,
        })
      : new Error(`fetching ${location} failed: ${error instanceof Error ? error.message : String(error)}`, {
          cause: error,
        });
  return {
    describe: () => location,
    async fetch(previousEtag, signal): Promise<FetchResult> {
      const file: File = (await client()).bucket(at.bucket).file(at.object);
      const [metadata] = await file.getMetadata().catch((error: unknown) => {
        throw failed(error);
      });
      signal?.throwIfAborted();
      const generation = String(metadata.generation ?? "");
      if (generation === "") throw new Error(`fetching ${location} returned no generation`);
      if (generation === previousEtag) return { changed: false };
      const size = Number(metadata.size ?? 0);
      if (size > options.maxBytes) {
        throw new Error(
          `object ${location} is ${size} bytes, over the limit of ${options.maxBytes} bytes` +
            (options.maxBytesSetting === undefined ? "" : ` (${options.maxBytesSetting})`),
        );
      }
      const pinned = (await client()).bucket(at.bucket).file(at.object, { generation: Number(generation) });
      const [contents] = await pinned.download().catch((error: unknown) => {
        throw failed(error);
      });
      signal?.throwIfAborted();
      if (contents.byteLength > options.maxBytes) {
        throw new Error(`object ${location} is more than ${options.maxBytes} bytes`);
      }
      return { changed: true, etag: generation, body: new Uint8Array(contents) };
    },
  };
}
