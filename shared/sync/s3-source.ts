import { GetObjectCommand, type GetObjectCommandOutput, S3Client } from "@aws-sdk/client-s3";
import type { FetchResult, ObjectSource } from "./object-source";

export interface S3SourceOptions {
  bucket: string;
  key: string;
  /** An S3-compatible server (MinIO, s3rver, R2...) instead of AWS. */
  endpoint?: string;
  /** Defaults to on when `endpoint` is set: most S3-compatible servers have no per-bucket DNS. */
  forcePathStyle?: boolean;
  region?: string;
  /**
   * How long the connection may stay silent (connecting, or mid-response) before the fetch fails;
   * default 10 s. Without it one stalled connection hangs the sync loop while its replica keeps
   * the lease. Only for the client built here, not a passed `client`.
   */
  stallTimeoutMs?: number;
  client?: S3Client;
}

interface SdkError {
  name?: string;
  $metadata?: { httpStatusCode?: number };
}

const statusOf = (error: unknown) => (error as SdkError | null)?.$metadata?.httpStatusCode;
const nameOf = (error: unknown) => (error as SdkError | null)?.name;

/** Reads one S3 object with a conditional GET; credentials come from the SDK's default chain. */
export function s3Source(options: S3SourceOptions): ObjectSource {
  const { bucket, key } = options;
  const location = `s3://${bucket}/${key}`;
  // One client per source: it keeps its connections and resolved credentials between polls.
  const client =
    options.client ??
    new S3Client({
      endpoint: options.endpoint,
      forcePathStyle: options.forcePathStyle ?? options.endpoint !== undefined,
      region: options.region,
      requestHandler: {
        connectionTimeout: options.stallTimeoutMs ?? 10_000,
        socketTimeout: options.stallTimeoutMs ?? 10_000,
      },
    });

  return {
    describe: () => location,
    async fetch(previousEtag, signal): Promise<FetchResult> {
      const command = new GetObjectCommand({ Bucket: bucket, Key: key, IfNoneMatch: previousEtag });
      let response: GetObjectCommandOutput;
      try {
        response = await client.send(command, { abortSignal: signal });
      } catch (error) {
        // A cancelled poll is the caller's doing: let its abort reason through unwrapped.
        if (signal?.aborted) throw error;
        // The SDK reports a 304 as an error; depending on the server its name is NotModified or a bare status.
        if (statusOf(error) === 304 || nameOf(error) === "NotModified") return { changed: false };
        if (nameOf(error) === "NoSuchKey" || nameOf(error) === "NoSuchBucket" || statusOf(error) === 404) {
          throw new Error(`object ${location} not found (bucket "${bucket}", key "${key}")`, {
            cause: error,
          });
        }
        throw new Error(`fetching ${location} failed: ${String(error)}`, { cause: error });
      }
      if (response.Body === undefined) throw new Error(`fetching ${location} returned no body`);
      // Without an ETag the next poll could not be conditional; a real S3 server always sends one.
      if (response.ETag === undefined) throw new Error(`fetching ${location} returned no ETag`);
      return { changed: true, etag: response.ETag, body: await response.Body.transformToByteArray() };
    },
  };
}
