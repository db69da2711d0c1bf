import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import S3rver from "s3rver";

/** s3rver accepts only these; the children read them from the environment, as the SDK's chain does. */
export const S3RVER_CREDENTIALS = Object.freeze({ accessKeyId: "S3RVER", secretAccessKey: "S3RVER" });

export interface LocalS3 {
  readonly endpoint: string;
  close(): Promise<void>;
}

/** s3rver on loopback with `bucket` created and `body` stored at `key`: the config sync's source. */
export async function startLocalS3(bucket: string, key: string, body: string): Promise<LocalS3> {
  const directory = await mkdtemp(join(tmpdir(), "routeiq-ha-s3-"));
  const server = new S3rver({
    address: "127.0.0.1",
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
  });
  const { port } = await server.run();
  // s3rver's PUT is not atomic: a GET racing it can stall on a short body until the keep-alive
  // connection is dropped (about 6 s). Dropping idle connections sooner makes such a poll fail fast.
  server.httpServer.keepAliveTimeout = 500;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({
    endpoint,
    forcePathStyle: true,
    region: "us-east-1",
    credentials: { ...S3RVER_CREDENTIALS },
  });
  try {
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  } finally {
    client.destroy();
  }
  return {
    endpoint,
    async close() {
      server.httpServer.closeAllConnections();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
