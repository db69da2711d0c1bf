import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MASTER_KEY, startGateway } from "../support/gateway";
import { createTestSchema, type TestSchema } from "../support/postgres";
import {
  admin,
  type ChatOutcome,
  chat,
  type Gateway,
  REDIS_URL,
  readiness,
  requireRedis,
  waitFor,
} from "../support/replicas";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy";

/**
 * A database failover as an operator sees one: PostgreSQL cut off by a relay for several times the
 * key cache's TTL while a virtual key is used at a steady rate. Known keys keep working from the
 * stale window (a replica started during the outage too, from the copies shared through Redis),
 * unknown keys are refused, management writes fail cleanly, readiness stays 200 "degraded" until
 * a replica's window is over, and afterwards every request is exactly one spend-log row.
 */

const TTL_SECONDS = 1;
/** At least 3 × the key cache TTL. */
const CUT_MS = 3_500;
/** Replica C's stale window: over before the database returns. */
const SHORT_STALE_SECONDS = 2;

const model = {
  model_name: "m",
  litellm_params: { model: "mock/m", mock_response: "served" },
  model_info: { input_cost_per_token: 0.000001, output_cost_per_token: 0.000002 },
};
const config = (general: Record<string, unknown> = {}) => ({
  model_list: [model],
  general_settings: { master_key: MASTER_KEY, user_api_key_cache_ttl: TTL_SECONDS, ...general },
});

let asked = 0;
const fresh = () => ({ model: "m", messages: [{ role: "user" as const, content: `question ${asked++}` }] });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const randomKey = () => `sk-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;

describe("database failover", () => {
  let schema: TestSchema;
  let proxy: TcpProxy;
  let db: pg.Client;
  const gateways: Gateway[] = [];

  beforeAll(async () => {
    await requireRedis();
    schema = await createTestSchema("dbfail");
    proxy = await startTcpProxy(Number(new URL(schema.url).port || 5432));
    db = new pg.Client({ connectionString: schema.url });
    await db.connect();
  });

  afterAll(async () => {
    proxy?.unblock();
    await Promise.allSettled(gateways.map((g) => g.shutdown()));
    await db?.end();
    await proxy?.close();
    await schema?.drop();
  });

  /** A replica of the deployment, reaching PostgreSQL only through the relay. */
  async function replica(general: Record<string, unknown> = {}, migrate = true): Promise<Gateway> {
    const url = new URL(schema.url);
    url.hostname = "127.0.0.1";
    url.port = String(proxy.port);
    const gateway = await startGateway(config(general), {
      DATABASE_URL: url.toString(),
      REDIS_URL,
      // As in every HA deployment (compose, Kubernetes, AWS): migrations are a job of their own.
      LITELLM_RUN_DB_MIGRATIONS: migrate ? undefined : "false",
    });
    gateways.push(gateway);
    return gateway;
  }

  const spendRows = async (keyHash: string) =>
    (
      await db.query<{ n: number }>("SELECT count(*)::int AS n FROM routeiq_spend_logs WHERE key_hash = $1", [
        keyHash,
      ])
    ).rows[0]?.n;

  it("keeps known keys working through the outage and refuses the rest", async () => {
    const a = await replica();
    const c = await replica({ db_unavailable_stale_seconds: SHORT_STALE_SECONDS }, false);
    const generated = await admin(a, "/key/generate", {});
    expect(generated.status).toBe(200);
    const known = generated.body.key as string;
    const knownHash = generated.body.token as string;
    const doomed = (await admin(a, "/key/generate", {})).body.key as string;
    /** Every answer to the known key, on any replica: each must become one spend-log row. */
    const answered: ChatOutcome[] = [];
    const use = async (g: Gateway, key = known) => {
      const outcome = await chat(g, key, fresh());
      if (key === known) answered.push(outcome);
      return outcome;
    };

    expect((await use(a, doomed)).status).toBe(200);
    expect((await admin(a, "/key/delete", { keys: [doomed] })).status).toBe(200);

    // The steady rate: one request every 40 ms on A, from before the cut until after it.
    let running = true;
    const traffic = (async () => {
      while (running) {
        await use(a);
        await sleep(40);
      }
    })();
    await sleep(300);
    expect((await use(c)).status).toBe(200);

    proxy.block();
    const cutAt = Date.now();
    await waitFor(
      "readiness naming the database",
      async () =>
        (await Promise.all([a, c].map(readiness))).every(
          (r) => r.status === 200 && r.checks.database !== "ok",
        ),
      2_500,
    );
    const degraded = await fetch(`${a.url}/_health/ready`);
    expect(degraded.status).toBe(200);
    expect(await degraded.json()).toMatchObject({
      status: "degraded",
      checks: { database: expect.stringMatching(/^database unavailable: /), redis: "ok" },
      degraded_until: { database: expect.any(String) },
    });
    expect((await fetch(`${a.url}/_health/live`)).status).toBe(200);
    expect((await use(c)).status).toBe(200);

    // Unknown keys, a key deleted just before the cut, and management writes are refused.
    for (const key of [randomKey(), doomed]) {
      const refused = await chat(a, key, fresh());
      expect([refused.status, refused.code]).toEqual([503, "service_unavailable"]);
    }
    const write = await admin(a, "/key/generate", {});
    expect([write.status, write.body.error.code]).toEqual([503, "database_unavailable"]);
    expect(write.body.error.message).not.toMatch(/postgres|5432|127\.0\.0\.1/);

    // A replica started now has never read the key from PostgreSQL: Redis holds A's sealed copy.
    const b = await replica({}, false);
    for (let i = 0; i < 3; i++) expect((await use(b)).status).toBe(200);
    expect((await chat(b, randomKey(), fresh())).status).toBe(503);

    // C's window (2 s from its last read) runs out before the database returns: it fails closed.
    await sleep(Math.max(0, cutAt + SHORT_STALE_SECONDS * 1_000 + 600 - Date.now()));
    const closed = await chat(c, known, fresh());
    expect([closed.status, closed.code]).toEqual([503, "service_unavailable"]);
    expect((await readiness(c)).status).toBe(503);
    expect((await readiness(a)).status).toBe(200);

    await sleep(Math.max(0, cutAt + CUT_MS - Date.now()));
    const cutFor = Date.now() - cutAt;
    proxy.unblock();
    await waitFor(
      "every replica ready again",
      async () =>
        (await Promise.all([a, b, c].map(readiness))).every(
          (r) => r.status === 200 && r.checks.database === "ok",
        ),
      5_000,
    );
    await sleep(300);
    running = false;
    await traffic;

    expect(cutFor).toBeGreaterThanOrEqual(3 * TTL_SECONDS * 1_000);
    const failed = answered.filter((outcome) => outcome.status !== 200);
    expect(failed.map((outcome) => `${outcome.status} ${outcome.message}`)).toEqual([]);
    expect(answered.length).toBeGreaterThan(CUT_MS / 100);

    // Once the database is back: the deleted key is refused everywhere, writes work, C serves again.
    for (const g of [a, b, c]) {
      const refused = await chat(g, doomed, fresh());
      expect([refused.status, refused.code]).toEqual([401, "invalid_api_key"]);
    }
    expect((await admin(a, "/key/generate", {})).status).toBe(200);
    expect((await use(c)).status).toBe(200);

    // Exactly one row per answered request, whichever replica answered it.
    await waitFor(
      "every spend-log row written",
      async () => ((await spendRows(knownHash)) ?? 0) >= answered.length,
      15_000,
      200,
    );
    await sleep(500);
    expect(await spendRows(knownHash)).toBe(answered.length);
    // And the key's spend is their sum: nothing counted twice across the outage.
    const { rows } = await db.query<{ key: number; logged: number }>(
      `SELECT (SELECT spend FROM routeiq_keys WHERE key_hash = $1) AS key,
              (SELECT sum(spend) FROM routeiq_spend_logs WHERE key_hash = $1) AS logged`,
      [knownHash],
    );
    expect(rows[0]?.logged).toBeGreaterThan(0);
    expect(rows[0]?.key).toBeCloseTo(rows[0]?.logged ?? Number.NaN, 12);
  });
});
