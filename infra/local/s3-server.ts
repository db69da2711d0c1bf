import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import S3rver from "s3rver";

/** s3rver accepts only these; processes read them from the environment, as the SDK's chain does. */
export const S3RVER_CREDENTIALS = Object.freeze({ accessKeyId: "S3RVER", secretAccessKey: "S3RVER" });

export interface LocalS3 {
  readonly endpoint: string;
  /** What another process needs to reach it through the AWS SDK: endpoint, region, credentials. */
  readonly clientEnv: Readonly<Record<string, string>>;
  /** The s3rver instance, for tests that count requests at the server. */
  readonly server: S3rver;
  /** Stores `body` at `key` of the bucket, through the real AWS SDK. */
  put(key: string, body: string): Promise<void>;
  close(): Promise<void>;
}

/** A real S3 API (s3rver) on loopback with `bucket` created: `ha:local`'s config source, and the tests'. */
export async function startLocalS3(bucket: string): Promise<LocalS3> {
  const directory = await mkdtemp(join(tmpdir(), "routeiq-s3rver-"));
  const server = new S3rver({
    address: "127.0.0.1",
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
  });
  const { port } = await server.run();
  // s3rver's PUT is not atomic: a GET racing it can get the old length and fewer bytes, and then
  // waits for the rest until the server drops the idle keep-alive connection (about 6 s; real S3
  // serves whole objects only). Drop it sooner, so such a poll fails fast and the next one succeeds.
  server.httpServer.keepAliveTimeout = 500;
  const endpoint = `http://127.0.0.1:${port}`;
  const admin = new S3Client({
    endpoint,
    forcePathStyle: true,
    region: "us-east-1",
    // A copy: the SDK annotates the credentials object it is given.
    credentials: { ...S3RVER_CREDENTIALS },
  });
  return {
    endpoint,
    clientEnv: {
      AWS_ENDPOINT_URL_S3: endpoint,
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    },
    server,
    async put(key, body) {
      await admin.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    },
    async close() {
      admin.destroy();
      server.httpServer.closeAllConnections();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
