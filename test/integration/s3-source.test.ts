import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import S3rver from "s3rver";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { ObjectSource } from "../../shared/sync/object-source";
import { s3Source } from "../../shared/sync/s3-source";

const BUCKET = "routeiq-config";
const KEY = "config/gateway.yaml";
const MAX_BYTES = 64 * 1024;

let server: S3rver;
let directory: string;
let endpoint: string;
let admin: S3Client;
/** What the server saw for every GET of the object: its status and how many body bytes it sent. */
const gets: { status: number; bytes: number }[] = [];

const text = (body: Uint8Array) => new TextDecoder().decode(body);
const put = (body: string) => admin.send(new PutObjectCommand({ Bucket: BUCKET, Key: KEY, Body: body }));

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "routeiq-s3rver-"));
  server = new S3rver({
    address: "127.0.0.1",
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: BUCKET }],
  });
  const { port } = await server.run();
  endpoint = `http://127.0.0.1:${port}`;
  // Counted on the server, not in the client: proves what went over the wire.
  server.httpServer.on("request", (req, res) => {
    if (req.method !== "GET" || !req.url?.startsWith(`/${BUCKET}/`)) return;
    let bytes = 0;
    const write = res.write.bind(res);
    res.write = ((chunk: Uint8Array | string, ...rest: never[]) => {
      bytes += typeof chunk === "string" ? Buffer.byteLength(chunk) : chunk.byteLength;
      return write(chunk, ...rest);
    }) as typeof res.write;
    res.on("finish", () => gets.push({ status: res.statusCode, bytes }));
  });
  // The source takes credentials from the SDK's default chain, as in production.
  vi.stubEnv("AWS_ACCESS_KEY_ID", "S3RVER");
  vi.stubEnv("AWS_SECRET_ACCESS_KEY", "S3RVER");
  admin = new S3Client({ endpoint, forcePathStyle: true, region: "us-east-1" });
});

afterAll(async () => {
  vi.unstubAllEnvs();
  admin?.destroy();
  server?.httpServer.closeAllConnections();
  await server?.close();
  if (directory) await rm(directory, { recursive: true, force: true });
});

describe("s3Source against s3rver", () => {
  let source: ObjectSource;

  beforeAll(() => {
    source = s3Source({ bucket: BUCKET, key: KEY, endpoint, region: "us-east-1", maxBytes: MAX_BYTES });
  });

  it("describes itself by bucket and key only", () => {
    expect(source.describe()).toBe(`s3://${BUCKET}/${KEY}`);
  });

  it("downloads once, then costs one bodiless request per poll until the object changes", async () => {
    await put("model_list: []\n");
    gets.length = 0;

    const first = await source.fetch(undefined);
    if (!first.changed) throw new Error("first fetch must return the object");
    expect(text(first.body)).toBe("model_list: []\n");
    expect(first.etag).toMatch(/\S/);

    expect(await source.fetch(first.etag)).toEqual({ changed: false });
    expect(await source.fetch(first.etag)).toEqual({ changed: false });

    await put("model_list:\n  - model_name: gpt\n");
    const third = await source.fetch(first.etag);
    if (!third.changed) throw new Error("fetch after a put must return the new object");
    expect(text(third.body)).toBe("model_list:\n  - model_name: gpt\n");
    expect(third.etag).not.toBe(first.etag);

    expect(gets.map((get) => get.status)).toEqual([200, 304, 304, 200]);
    // The 200s show the counter sees bodies, so the 304s' zero is real.
    expect(gets[0]?.bytes).toBeGreaterThan(0);
    expect(gets[1]?.bytes).toBe(0);
    expect(gets[2]?.bytes).toBe(0);
  });

  it("refuses an object over its size cap by its Content-Length, without downloading it", async () => {
    await admin.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: "big.yaml", Body: "#".repeat(MAX_BYTES + 1) }),
    );
    const big = s3Source({
      bucket: BUCKET,
      key: "big.yaml",
      endpoint,
      region: "us-east-1",
      maxBytes: MAX_BYTES,
      maxBytesSetting: "CONFIG_S3_MAX_MB=0.0625",
    });
    await expect(big.fetch(undefined)).rejects.toThrow(
      `object s3://${BUCKET}/big.yaml is ${MAX_BYTES + 1} bytes, over the limit of ${MAX_BYTES} bytes (CONFIG_S3_MAX_MB=0.0625)`,
    );
    const exact = s3Source({
      bucket: BUCKET,
      key: "big.yaml",
      endpoint,
      region: "us-east-1",
      maxBytes: MAX_BYTES + 1,
    });
    const fetched = await exact.fetch(undefined);
    expect(fetched.changed && fetched.body.byteLength).toBe(MAX_BYTES + 1);
  });

  it("fails on a missing key with a message naming bucket and key", async () => {
    const missing = s3Source({
      bucket: BUCKET,
      key: "nope/absent.yaml",
      endpoint,
      region: "us-east-1",
      maxBytes: MAX_BYTES,
    });
    await expect(missing.fetch(undefined)).rejects.toThrow(/routeiq-config.*nope\/absent\.yaml/);
  });

  it("fails on a missing bucket with a message naming bucket and key", async () => {
    const missing = s3Source({
      bucket: "no-such-bucket",
      key: KEY,
      endpoint,
      region: "us-east-1",
      maxBytes: MAX_BYTES,
    });
    await expect(missing.fetch(undefined)).rejects.toThrow(/no-such-bucket.*config\/gateway\.yaml/);
  });
});

describe("s3Source against a server that sends no Content-Length", () => {
  it("stops reading once the body passes the cap, however much more the server would send", async () => {
    let sent = 0;
    const endless = createServer((_req, res) => {
      res.writeHead(200, { etag: '"abc"' });
      const chunk = Buffer.alloc(16 * 1024, 35);
      const more = () => {
        while (!res.destroyed && res.write(chunk)) sent += chunk.byteLength;
        if (!res.destroyed) res.once("drain", more);
      };
      more();
    });
    await new Promise<void>((resolve) => endless.listen(0, "127.0.0.1", resolve));
    const { port } = endless.address() as AddressInfo;
    try {
      const source = s3Source({
        bucket: BUCKET,
        key: KEY,
        endpoint: `http://127.0.0.1:${port}`,
        region: "us-east-1",
        maxBytes: MAX_BYTES,
      });
      await expect(source.fetch(undefined)).rejects.toThrow(
        `object s3://${BUCKET}/${KEY} is more than ${MAX_BYTES} bytes, over the limit of ${MAX_BYTES} bytes`,
      );
      // What the server managed to push before the connection was dropped: socket buffers, not the stream.
      expect(sent).toBeLessThan(64 * MAX_BYTES);
    } finally {
      endless.closeAllConnections();
      await new Promise((resolve) => endless.close(resolve));
    }
  });
});

describe("s3Source against a server that stalls", () => {
  it("fails a fetch whose response stops mid-body instead of hanging the sync loop", async () => {
    // What a torn read or a dead connection looks like: headers promise 100 bytes, 10 arrive.
    const stalled = createServer((_req, res) => {
      res.writeHead(200, { "content-length": "100", etag: '"abc"' });
      res.write("model_list");
    });
    await new Promise<void>((resolve) => stalled.listen(0, "127.0.0.1", resolve));
    const { port } = stalled.address() as AddressInfo;
    try {
      const source = s3Source({
        bucket: BUCKET,
        key: KEY,
        endpoint: `http://127.0.0.1:${port}`,
        region: "us-east-1",
        maxBytes: MAX_BYTES,
        stallTimeoutMs: 300,
      });
      const started = Date.now();
      await expect(source.fetch(undefined)).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(3_000);
    } finally {
      stalled.closeAllConnections();
      await new Promise((resolve) => stalled.close(resolve));
    }
  });
});
