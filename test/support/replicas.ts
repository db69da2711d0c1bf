import { Redis } from "ioredis";
import OpenAI from "openai";
import type {
  ChatCompletion,
  ChatCompletionCreateParamsNonStreaming,
} from "openai/resources/chat/completions";
import { MASTER_KEY, startGateway } from "./gateway";
import { createTestSchema, type TestSchema } from "./postgres";

export type Gateway = Awaited<ReturnType<typeof startGateway>>;

/** The machine's Redis; tests that share state through it fail loudly when it is not there. */
export const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

/** Pings Redis once with a plain client, so a missing server fails with a clear message. */
export async function requireRedis(url = REDIS_URL): Promise<void> {
  const raw = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  try {
    await raw.connect();
    await raw.ping();
  } catch (error) {
    throw new Error(`these tests need Redis at ${url} (start redis-server): ${String(error)}`);
  } finally {
    raw.disconnect();
  }
}

export interface Replicas {
  /** In the order of the configs they were started from. */
  readonly gateways: readonly Gateway[];
  /** Stops every gateway (draining), then drops the shared schema if this set created it. */
  shutdown(): Promise<void>;
}

export interface ReplicaStores {
  /** Redis as the gateways reach it (a proxy, to cut it off); default REDIS_URL. */
  readonly redisUrl?: string;
  /** The schema's URL as the gateways reach it (through a proxy, to cut it off). */
  readonly databaseUrl?: (schemaUrl: string) => string;
}

/**
 * Starts one in-process gateway per config, all on one fresh PostgreSQL schema and one Redis:
 * replicas of one deployment. Gateways start one after another, so only the first migrates.
 */
export async function startReplicas(
  configs: readonly Record<string, unknown>[],
  stores: ReplicaStores = {},
): Promise<Replicas & { readonly schema: TestSchema }> {
  await requireRedis();
  const schema = await createTestSchema("replicas");
  const gateways: Gateway[] = [];
  const shutdown = async () => {
    await Promise.allSettled(gateways.map((g) => g.shutdown()));
    await schema.drop();
  };
  try {
    for (const config of configs) {
      gateways.push(
        await startGateway(config, {
          DATABASE_URL: stores.databaseUrl?.(schema.url) ?? schema.url,
          REDIS_URL: stores.redisUrl ?? REDIS_URL,
        }),
      );
    }
  } catch (error) {
    await shutdown();
    throw error;
  }
  return { gateways, schema, shutdown };
}

export interface Answer {
  readonly status: number;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON answers
  readonly body: any;
}

/** A management call with the master key. */
export async function admin(gateway: Gateway, path: string, body?: unknown): Promise<Answer> {
  const response = await fetch(`${gateway.url}${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { authorization: `Bearer ${MASTER_KEY}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

/** `POST /key/generate` through `gateway`; resolves to the new key (`sk-...`). */
export async function generateKey(gateway: Gateway, fields: Record<string, unknown> = {}): Promise<string> {
  const { status, body } = await admin(gateway, "/key/generate", fields);
  if (status !== 200) throw new Error(`/key/generate answered ${status}: ${JSON.stringify(body)}`);
  return body.key as string;
}

/** What a chat completion came back with, success or error alike. */
export interface ChatOutcome {
  readonly status: number;
  /** The OpenAI error code on failure (`rpm_limit_exceeded`, ...). */
  readonly code: string | null | undefined;
  readonly message: string | undefined;
  readonly headers: Headers;
  readonly completion: ChatCompletion | undefined;
}

/** One chat completion through `gateway` with the official client (no retries), as `key`. */
export async function chat(
  gateway: Gateway,
  key: string,
  params: Partial<ChatCompletionCreateParamsNonStreaming> & { model: string },
): Promise<ChatOutcome> {
  const client = new OpenAI({ apiKey: key, baseURL: `${gateway.url}/v1`, maxRetries: 0 });
  try {
    const { data, response } = await client.chat.completions
      .create({ messages: [{ role: "user", content: "hello there" }], ...params, stream: false })
      .withResponse();
    return {
      status: response.status,
      code: undefined,
      message: undefined,
      headers: response.headers,
      completion: data,
    };
  } catch (error) {
    if (!(error instanceof OpenAI.APIError) || error.status === undefined) throw error;
    return {
      status: error.status,
      code: error.code,
      message: error.message,
      headers: error.headers ?? new Headers(),
      completion: undefined,
    };
  }
}

/** Polls `check` every `intervalMs` until it returns true; throws after `timeoutMs`. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  intervalMs = 50,
): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await check()) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** `GET /_health/ready`: status and the per-dependency report. */
export async function readiness(
  gateway: Gateway,
): Promise<{ status: number; checks: Record<string, string> }> {
  const response = await fetch(`${gateway.url}/_health/ready`);
  const body = (await response.json()) as { checks: Record<string, string> };
  return { status: response.status, checks: body.checks };
}

/** The sum of a Prometheus counter's samples on `gateway` whose labels include `labels`. */
export async function metricTotal(
  gateway: Gateway,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const text = await (await fetch(`${gateway.url}/metrics`)).text();
  let total = 0;
  for (const line of text.split("\n")) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match?.[1] !== name) continue;
    const found = Object.fromEntries(
      [...(match[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]),
    );
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) total += Number(match[3]);
  }
  return total;
}

/** A short random tag, so Redis keys (deployment ids, cache entries) never meet another run's. */
export const runTag = (): string => Math.random().toString(36).slice(2, 10);
