import OpenAI from "openai";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { MASTER_KEY, startGateway } from "../support/gateway";
import { createTestSchema } from "../support/postgres";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy";

/**
 * The spend log end to end: a gateway whose only way to Postgres is a TCP proxy the test can cut.
 * Requests must keep succeeding while Postgres is unreachable (the hot path never waits on it),
 * and every admitted request must end up as exactly one row, outage or shutdown notwithstanding.
 */

const MODEL = "mock-gpt";
const REPLY = "Spend me once.";
const CONFIG = {
  model_list: [
    {
      model_name: MODEL,
      litellm_params: { model: "mock/gpt", mock_response: REPLY, mock_latency_ms: 2 },
      // Priced, so every row carries a spend > 0 and the sums below mean something.
      model_info: { input_cost_per_token: 0.000001, output_cost_per_token: 0.000002 },
    },
  ],
};
const WAIT_MS = 10_000;

interface LogRow {
  request_id: string;
  key_hash: string | null;
  status: number;
  spend: number;
  client_request_id: string;
}

interface Harness {
  readonly proxy: TcpProxy;
  readonly gateway: Awaited<ReturnType<typeof startGateway>>;
  /** Straight to Postgres (not through the proxy), in the gateway's schema. */
  readonly db: pg.Client;
  readonly master: OpenAI;
  /** A virtual key made with /key/generate: the key itself and its hash (`token`). */
  readonly key: { readonly key: string; readonly hash: string };
  readonly virtual: OpenAI;
  /** Another client for any key. */
  client(apiKey: string): OpenAI;
  /** POST /key/generate with the master key. */
  generateKey(): Promise<{ key: string; hash: string }>;
  /** A management GET with the master key. */
  get(path: string): Promise<{ status: number; body: unknown }>;
}

const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  // Newest first: the gateway goes before the proxy it talks through, the schema last.
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function harness(): Promise<Harness> {
  const schema = await createTestSchema("spend");
  cleanups.push(() => schema.drop());
  // Same database, user and search_path option as the schema's URL, only through the proxy.
  const proxied = new URL(schema.url);
  const proxy = await startTcpProxy(Number(proxied.port || 5432), proxied.hostname);
  cleanups.push(() => proxy.close());
  proxied.hostname = "127.0.0.1";
  proxied.port = String(proxy.port);
  const gateway = await startGateway(CONFIG, { DATABASE_URL: proxied.toString() });
  let stopped = false;
  cleanups.push(async () => {
    if (stopped) return;
    proxy.unblock();
    await gateway.shutdown();
  });
  const shutdown = async () => {
    stopped = true;
    await gateway.shutdown();
  };
  const db = new pg.Client({ connectionString: schema.url });
  await db.connect();
  cleanups.push(() => db.end());

  const client = (apiKey: string) => new OpenAI({ apiKey, baseURL: `${gateway.url}/v1`, maxRetries: 0 });
  const generateKey = async () => {
    const response = await fetch(`${gateway.url}/key/generate`, {
      method: "POST",
      headers: { authorization: `Bearer ${MASTER_KEY}`, "content-type": "application/json" },
      body: "{}",
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { key: string; token: string };
    return { key: body.key, hash: body.token };
  };
  const get = async (path: string) => {
    const response = await fetch(`${gateway.url}${path}`, {
      headers: { authorization: `Bearer ${MASTER_KEY}` },
    });
    return { status: response.status, body: (await response.json()) as unknown };
  };
  const key = await generateKey();
  return {
    proxy,
    gateway: { ...gateway, shutdown },
    db,
    master: client(MASTER_KEY),
    key,
    virtual: client(key.key),
    client,
    generateKey,
    get,
  };
}

/** One chat completion that must succeed; the client's x-request-id ends up in the row's metadata. */
async function chat(client: OpenAI, requestId: string): Promise<void> {
  const { data, response } = await client.chat.completions
    .create(
      { model: MODEL, messages: [{ role: "user", content: `request ${requestId}` }] },
      { headers: { "x-request-id": requestId } },
    )
    .withResponse();
  expect(data.choices[0]?.message.content).toBe(REPLY);
  expect(response.headers.get("x-request-id")).toBe(requestId);
}

async function logRows(db: pg.Client): Promise<LogRow[]> {
  const { rows } = await db.query<LogRow>(
    `SELECT request_id, key_hash, status, spend, metadata->>'request_id' AS client_request_id
     FROM routeiq_spend_logs`,
  );
  return rows;
}

async function rowCount(db: pg.Client): Promise<number> {
  const { rows } = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM routeiq_spend_logs");
  return rows[0]?.n ?? -1;
}

async function keySpend(db: pg.Client, hash: string): Promise<number> {
  const { rows } = await db.query<{ spend: number }>("SELECT spend FROM routeiq_keys WHERE key_hash = $1", [
    hash,
  ]);
  return rows[0]?.spend ?? Number.NaN;
}

/** Polls until at least `n` rows are in Postgres, failing after WAIT_MS with the count it saw. */
async function waitForRows(db: pg.Client, n: number): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  let seen = await rowCount(db);
  while (seen < n && Date.now() < deadline) {
    await sleep(100);
    seen = await rowCount(db);
  }
  expect(seen, `spend log rows after waiting ${WAIT_MS} ms`).toBeGreaterThanOrEqual(n);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const sum = (values: readonly number[]) => values.reduce((total, value) => total + value, 0);
const sorted = (values: readonly string[]) => [...values].sort();

/**
 * Exactly one successful row per id in `sent` (matched by the client's x-request-id), nothing
 * else, and the key's spend column equal to the sum of its rows.
 */
async function expectExactlyLogged(h: Harness, sent: ReadonlyMap<string, "master" | "virtual">) {
  const rows = await logRows(h.db);
  expect(rows).toHaveLength(sent.size);
  expect(sorted(rows.map((row) => row.client_request_id))).toEqual(sorted([...sent.keys()]));
  for (const row of rows) {
    expect(row.status).toBe(200);
    expect(row.spend).toBeGreaterThan(0);
    expect(row.key_hash).toBe(sent.get(row.client_request_id) === "virtual" ? h.key.hash : null);
  }
  const keyRows = rows.filter((row) => row.key_hash === h.key.hash);
  expect(keyRows.length).toBeGreaterThan(0);
  expect(await keySpend(h.db, h.key.hash)).toBeCloseTo(sum(keyRows.map((row) => row.spend)), 12);
}

describe("spend log through a real Postgres", () => {
  it("writes exactly one row per request of a 200-request burst, and adds its spend to the key", async () => {
    const h = await harness();
    const N = 200;
    const sent = new Map<string, "master" | "virtual">();
    await Promise.all(
      Array.from({ length: N }, (_, i) => {
        const id = `burst-${i}`;
        const who = i % 2 === 0 ? "master" : "virtual";
        sent.set(id, who);
        return chat(who === "master" ? h.master : h.virtual, id);
      }),
    );
    await waitForRows(h.db, N);
    await expectExactlyLogged(h, sent);
  });

  it("keeps answering through a 2 s database outage mid-burst, then writes every row exactly once", async () => {
    const h = await harness();
    const N = 200;
    const sent = new Map<string, "master" | "virtual">();
    const send = (who: "master" | "virtual", id: string) => {
      sent.set(id, who);
      return chat(who === "master" ? h.master : h.virtual, id);
    };
    // A second key, generated before the outage but never used, so no replica has it cached.
    const unused = await h.generateKey();

    // Before the outage: 60 requests. The first virtual-key request makes the gateway read the
    // key from Postgres and cache it for 5 s; `primedAt` is taken before it is sent, so the cache
    // entry lives at least until primedAt + 5 s.
    const primedAt = Date.now();
    await Promise.all(
      Array.from({ length: 60 }, (_, i) => send(i % 2 ? "virtual" : "master", `before-${i}`)),
    );

    h.proxy.block();
    const blockedAt = Date.now();
    // During the outage (~2 s): 5 waves of 20. The hot path must not need Postgres: master-key
    // requests never do, and the virtual key is served from its cache while that is surely
    // fresh (sent before primedAt + 3.5 s, leaving 1.5 s for the request to reach the gateway).
    // After that, only the master key is used: a cache miss would need the database.
    let virtualDuringOutage = 0;
    for (let wave = 0; wave < 5; wave += 1) {
      const waveStarted = Date.now();
      const useVirtual = waveStarted - primedAt < 3_500;
      if (useVirtual) virtualDuringOutage += 10;
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          send(useVirtual && i % 2 ? "virtual" : "master", `during-${wave}-${i}`),
        ),
      );
      await sleep(Math.max(0, 400 - (Date.now() - waveStarted)));
    }
    expect(virtualDuringOutage).toBeGreaterThan(0);

    // A key nobody has cached cannot be checked without Postgres: refused promptly with a 503
    // the client may retry (not accepted, not a 401 for a valid key, not a 500 "internal error").
    const missStarted = Date.now();
    const miss = await fetch(`${h.gateway.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${unused.key}`, "content-type": "application/json" },
      body: JSON.stringify({ model: MODEL, messages: [{ role: "user", content: "uncached" }] }),
    });
    expect(miss.status).toBe(503);
    expect(miss.headers.get("retry-after")).toBe("1");
    const refusal = (await miss.json()) as { error: { type: string; message: string } };
    expect(refusal.error.type).toBe("service_unavailable_error");
    expect(refusal.error.message).toContain("retry");
    expect(Date.now() - missStarted).toBeLessThan(3_000);

    // The outage was real: 100 requests answered during it, and none of their rows reached Postgres.
    expect(await rowCount(h.db)).toBeLessThanOrEqual(60);
    expect(Date.now() - blockedAt).toBeGreaterThanOrEqual(1_900);
    h.proxy.unblock();

    await Promise.all(Array.from({ length: 40 }, (_, i) => send(i % 2 ? "virtual" : "master", `after-${i}`)));
    expect(sent.size).toBe(N);
    await waitForRows(h.db, N);
    await expectExactlyLogged(h, sent);
  }, 30_000);

  it("flushes rows still buffered when the gateway shuts down", async () => {
    const h = await harness();
    const K = 30;
    const sent = new Map<string, "master" | "virtual">();
    // One virtual-key request just before the outage caches the key for 5 s, so the key keeps
    // working during the K requests that follow at once (a cache miss would need Postgres).
    sent.set("prime", "virtual");
    await chat(h.virtual, "prime");

    h.proxy.block();
    await Promise.all(
      Array.from({ length: K }, (_, i) => {
        const id = `buffered-${i}`;
        const who = i % 2 ? "virtual" : "master";
        sent.set(id, who);
        return chat(who === "master" ? h.master : h.virtual, id);
      }),
    );
    // Long enough for the writer's 1 s flush to have tried and failed at least once; none of
    // the K rows got through (the prime's may have, before the block).
    await sleep(1_500);
    expect(await rowCount(h.db)).toBeLessThanOrEqual(1);

    h.proxy.unblock();
    await h.gateway.shutdown();
    // No polling: the rows are there the moment shutdown returns.
    await expectExactlyLogged(h, sent);
  });

  it("reports the rows through /spend/logs, /global/spend and /key/info", async () => {
    const h = await harness();
    const other = await h.generateKey();
    const otherClient = h.client(other.key);
    await Promise.all([
      ...Array.from({ length: 20 }, (_, i) => chat(h.master, `m-${i}`)),
      ...Array.from({ length: 15 }, (_, i) => chat(h.virtual, `v-${i}`)),
      ...Array.from({ length: 5 }, (_, i) => chat(otherClient, `o-${i}`)),
    ]);
    await waitForRows(h.db, 40);
    const rows = await logRows(h.db);
    expect(rows).toHaveLength(40);

    const logs = await h.get(`/spend/logs?api_key=${h.key.hash}&limit=1000`);
    expect(logs.status).toBe(200);
    const entries = logs.body as Array<{
      request_id: string;
      api_key: string;
      model: string;
      spend: number;
      status: string;
      total_tokens: number;
      metadata: { request_id: string };
    }>;
    const keyRows = rows.filter((row) => row.key_hash === h.key.hash);
    expect(entries).toHaveLength(15);
    expect(sorted(entries.map((entry) => entry.request_id))).toEqual(
      sorted(keyRows.map((r) => r.request_id)),
    );
    expect(sorted(entries.map((entry) => entry.metadata.request_id))).toEqual(
      sorted(Array.from({ length: 15 }, (_, i) => `v-${i}`)),
    );
    for (const entry of entries) {
      expect(entry).toMatchObject({ api_key: h.key.hash, model: MODEL, status: "success" });
      expect(entry.spend).toBeGreaterThan(0);
      expect(entry.total_tokens).toBeGreaterThan(0);
    }
    const keyTotal = sum(entries.map((entry) => entry.spend));
    expect(keyTotal).toBeCloseTo(sum(keyRows.map((row) => row.spend)), 12);

    // The key itself, given as sk-..., finds the same rows.
    const byKey = await h.get(`/spend/logs?api_key=${h.key.key}&limit=1000`);
    expect((byKey.body as unknown[]).length).toBe(15);

    const info = await h.get(`/key/info?key=${h.key.key}`);
    expect((info.body as { info: { spend: number } }).info.spend).toBeCloseTo(keyTotal, 12);

    const global = await h.get("/global/spend");
    expect(global.status).toBe(200);
    const total = sum(rows.map((row) => row.spend));
    expect((global.body as { spend: number; max_budget: null }).max_budget).toBeNull();
    expect((global.body as { spend: number }).spend).toBeCloseTo(total, 12);
    expect(total).toBeGreaterThan(keyTotal);
  });
});
