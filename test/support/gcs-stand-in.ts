import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

interface StoredObject {
  readonly body: Buffer;
  readonly generation: number;
}

export interface GcsStandIn {
  /** For STORAGE_EMULATOR_HOST. */
  readonly url: string;
  /** Every request, as `METHOD path?query`. */
  readonly requests: string[];
  /** Writes an object; each write is a new generation, as in GCS. */
  put(bucket: string, object: string, body: string | Buffer): number;
  close(): Promise<void>;
}

/**
 * The part of the GCS JSON API `@google-cloud/storage` uses to read an object: its metadata
 * (`GET /storage/v1/b/{bucket}/o/{object}`) and its media (`alt=media`, or the `/download/` path),
 * a given generation or the live one. Everything else is a 404.
 */
export async function startGcsStandIn(): Promise<GcsStandIn> {
  const objects = new Map<string, StoredObject>();
  let generation = 1_700_000_000_000_000;
  const requests: string[] = [];
  const notFound = (res: ServerResponse) => {
    res.writeHead(404, { "content-type": "application/json" });
    res.end(
      JSON.stringify({ error: { code: 404, message: "No such object", errors: [{ reason: "notFound" }] } }),
    );
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    requests.push(`${req.method} ${req.url}`);
    const url = new URL(req.url ?? "/", "http://stand-in");
    const match = /^(?:\/download)?\/storage\/v1\/b\/([^/]+)\/o\/(.+)$/.exec(url.pathname);
    if (req.method !== "GET" || match === null) return notFound(res);
    const [, bucket, encoded] = match as unknown as [string, string, string];
    const object = decodeURIComponent(encoded);
    const stored = objects.get(`${bucket}/${object}`);
    const wanted = url.searchParams.get("generation");
    if (stored === undefined || (wanted !== null && Number(wanted) !== stored.generation))
      return notFound(res);
    if (url.searchParams.get("alt") === "media" || url.pathname.startsWith("/download/")) {
      res.writeHead(200, {
        "content-type": "application/octet-stream",
        "content-length": stored.body.byteLength,
        "x-goog-generation": String(stored.generation),
      });
      return res.end(stored.body);
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      JSON.stringify({
        kind: "storage#object",
        bucket,
        name: object,
        generation: String(stored.generation),
        metageneration: "1",
        size: String(stored.body.byteLength),
        contentType: "application/x-yaml",
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    put(bucket, object, body) {
      generation += 1;
      objects.set(`${bucket}/${object}`, { body: Buffer.from(body), generation });
      return generation;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
