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
   * The largest object accepted, in bytes. A bigger one fails the fetch: at once when its
   * Content-Length says so, else as soon as the bytes read pass it (a server may send none, or lie).
   */
  maxBytes: number;
  /** What sets `maxBytes` (an environment variable), named in the error so an operator knows what to raise. */
  maxBytesSetting?: string;
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

/** Reads a body whole, or fails once it has read more than `maxBytes` of it, cancelling the rest. */
async function readAtMost(
  body: ReadableStream<Uint8Array>,
  maxBytes: number,
  tooLarge: (size: string) => Error,
): Promise<Uint8Array> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (let next = await reader.read(); !next.done; next = await reader.read()) {
    total += next.value.byteLength;
    if (total > maxBytes) {
      // Not awaited: a server that keeps sending must not keep this fetch waiting either.
      void reader.cancel().catch(() => {});
      throw tooLarge(`more than ${maxBytes} bytes`);
    }
    chunks.push(next.value);
  }
  const whole = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    whole.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return whole;
}

/** Reads one S3 object with a conditional GET; credentials come from the SDK's default chain. */
export function s3Source(options: S3SourceOptions): ObjectSource {
  const { bucket, key, maxBytes } = options;
  const location = `s3://${bucket}/${key}`;
  const tooLarge = (size: string) =>
    new Error(
      `object ${location} is ${size}, over the limit of ${maxBytes} bytes` +
        (options.maxBytesSetting === undefined ? "" : ` (${options.maxBytesSetting})`),
    );
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
      const body = response.Body.transformToWebStream();
      if (response.ContentLength !== undefined && response.ContentLength > maxBytes) {
        void body.cancel().catch(() => {});
        throw tooLarge(`${response.ContentLength} bytes`);
      }
      return { changed: true, etag: response.ETag, body: await readAtMost(body, maxBytes, tooLarge) };
    },
  };
}
