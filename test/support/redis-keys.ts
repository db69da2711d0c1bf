import { Redis } from "ioredis";

/**
 * Tests put the Redis keys they leave without a TTL under `test:<name>:<created, base 36 ms>:<random>`,
 * so a run can delete its own at the end and the next run can find what an interrupted one left
 * (see sweep-leftovers.ts).
 */
export const TEST_KEY_ROOT = "test";

export function testKeyPrefix(name: string): string {
  return `${TEST_KEY_ROOT}:${name}:${Date.now().toString(36)}:${Math.random().toString(36).slice(2, 8)}`;
}

/** When the prefix a test key starts with was made (ms), or undefined for any other key. */
export function testKeyCreatedAt(key: string): number | undefined {
  const [root, , stamp] = key.split(":");
  if (root !== TEST_KEY_ROOT || stamp === undefined || !/^[0-9a-z]{6,10}$/.test(stamp)) return undefined;
  return Number.parseInt(stamp, 36);
}

/** Deletes the keys matching `pattern` that `doomed` accepts, in batches. */
export async function deleteKeys(
  url: string,
  pattern: string,
  doomed: (key: string) => boolean = () => true,
): Promise<number> {
  const redis = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    connectTimeout: 5_000,
    retryStrategy: () => null,
  });
  await redis.connect();
  let deleted = 0;
  try {
    for await (const keys of redis.scanStream({ match: pattern, count: 500 }) as AsyncIterable<string[]>) {
      const batch = keys.filter(doomed);
      if (batch.length > 0) deleted += await redis.unlink(...batch);
    }
  } finally {
    redis.disconnect();
  }
  return deleted;
}

/** Deletes the keys under a prefix made by `testKeyPrefix`. */
export const deleteTestKeys = (url: string, prefix: string): Promise<number> =>
  deleteKeys(url, `${prefix}:*`);
