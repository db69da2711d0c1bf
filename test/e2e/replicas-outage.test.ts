import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MASTER_KEY, startGateway } from "../support/gateway";
import {
  admin,
  chat,
  type Gateway,
  generateKey,
  metricTotal,
  type Replicas,
  readiness,
  runTag,
  startReplicas,
  waitFor,
} from "../support/replicas";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy";

// A shared store going away must cost the replicas their shared state, never their answers
// (unless limits are told to fail closed), and must show in readiness and metrics.

const tag = runTag();
const model = { model_name: "m", litellm_params: { model: "mock/m", mock_response: "still here" } };
/** A question never asked before, so the response cache cannot answer it. */
let asked = 0;
const fresh = () => ({ model: "m", messages: [{ role: "user" as const, content: `${tag} ${asked++}` }] });

/** Readiness stops naming `dependency` as failing. */
const recovered = (gateways: readonly Gateway[], dependency: string) =>
  waitFor(
    `${dependency} back`,
    async () => (await Promise.all(gateways.map(readiness))).every((r) => r.status === 200),
    5_000,
  );

describe("Redis outage", () => {
  const open = { model_list: [model], litellm_settings: { cache: true } };
  let proxy: TcpProxy;
  let replicas: Awaited<ReturnType<typeof startReplicas>>;
  /** Fail open (the default). */
  let a: Gateway;
  let b: Gateway;
  /** rate_limit_fail_mode: closed. */
  let c: Gateway;

  beforeAll(async () => {
    proxy = await startTcpProxy(6379);
    const closed = {
      ...open,
      general_settings: { master_key: MASTER_KEY, rate_limit_fail_mode: "closed" },
    };
    replicas = await startReplicas([open, open, closed], { redisUrl: redisUrl() });
    [a, b, c] = replicas.gateways as [Gateway, Gateway, Gateway];
  });

  afterAll(async () => {
    proxy?.unblock();
    await replicas?.shutdown();
    await proxy?.close();
  });

  const redisUrl = () => `redis://127.0.0.1:${proxy.port}`;

  /** Cuts Redis off and waits until every replica's readiness says so. */
  async function cutRedis(gateways: readonly Gateway[]): Promise<void> {
    proxy.block();
    await waitFor(
      "readiness failing",
      async () => (await Promise.all(gateways.map(readiness))).every((r) => r.status === 503),
      2_500,
    );
  }

  it("fails open: rate-limited keys are served, the cache bypassed, and limits apply again after", async () => {
    const key = await generateKey(a, { rpm_limit: 2 });
    expect((await chat(a, key, fresh())).status).toBe(200);
    expect((await chat(b, key, fresh())).status).toBe(200);
    expect((await chat(a, key, fresh())).code).toBe("rpm_limit_exceeded");
    const errorsBefore = await metricTotal(a, "routeiq_store_errors_total", { store: "redis" });

    await cutRedis([a, b]);
    for (const g of [a, b]) {
      const report = await readiness(g);
      expect(report.checks.database).toBe("ok");
      expect(report.checks.redis).not.toBe("ok");
      expect(report.checks.redis).toBeTruthy();

      const served = await chat(g, key, fresh());
      expect(served.status).toBe(200);
      expect(served.completion?.choices[0]?.message.content).toBe("still here");
      expect(served.headers.get("x-routeiq-cache")).toBe("bypass");
    }
    expect(
      await metricTotal(a, "routeiq_store_errors_total", { store: "redis", operation: "rate_limit" }),
    ).toBeGreaterThan(0);
    expect(await metricTotal(a, "routeiq_store_errors_total", { store: "redis" })).toBeGreaterThan(
      errorsBefore,
    );

    proxy.unblock();
    await recovered([a, b], "redis");
    for (const g of [a, b]) {
      const refused = await chat(g, key, fresh());
      expect([refused.status, refused.code]).toEqual([429, "rpm_limit_exceeded"]);
    }
    const cached = await chat(a, MASTER_KEY, fresh());
    expect(cached.headers.get("x-routeiq-cache")).toBe("miss");
  });

  it("fails closed when configured: rate-limited keys get 503 until Redis is back", async () => {
    const key = await generateKey(c, { rpm_limit: 100 });
    expect((await chat(c, key, fresh())).status).toBe(200);

    await cutRedis([c]);
    const refused = await chat(c, key, fresh());
    expect([refused.status, refused.code]).toEqual([503, "limits_unavailable"]);
    expect(refused.headers.get("retry-after")).toBe("1");
    // The fail mode is each gateway's setting: a fail-open replica serves the same key meanwhile.
    expect((await chat(a, key, fresh())).status).toBe(200);

    proxy.unblock();
    await recovered([c], "redis");
    expect((await chat(c, key, fresh())).status).toBe(200);
  });

  it("a replica started during the outage serves, and hears key changes once Redis is back", async () => {
    const key = await generateKey(a);
    await cutRedis([a, b]);
    const late = await startGateway(open, { DATABASE_URL: replicas.schema.url, REDIS_URL: redisUrl() });
    try {
      expect((await readiness(late)).status).toBe(503);
      const served = await chat(late, key, fresh());
      expect(served.status).toBe(200);
      expect(served.headers.get("x-routeiq-cache")).toBe("bypass");

      proxy.unblock();
      await recovered([a, b, late], "redis");
      // A key the late replica caches now (for 5 s) is dropped sooner only if it hears the change.
      const watched = await generateKey(a);
      const loaded = Date.now();
      expect((await chat(late, watched, fresh())).status).toBe(200);
      await waitFor(
        "key blocked on A refused by the late replica",
        async () => {
          // Announced again each time: it may still be subscribing.
          expect((await admin(a, "/key/block", { key: watched })).status).toBe(200);
          await new Promise((resolve) => setTimeout(resolve, 100));
          return (await chat(late, watched, fresh())).code === "key_blocked";
        },
        3_000,
        0,
      );
      expect(Date.now() - loaded).toBeLessThan(5_000);
    } finally {
      await late.shutdown();
    }
  });
});

describe("database outage", () => {
  let proxy: TcpProxy;
  let replicas: Replicas;
  /** The default: readiness degraded (200) while keys can be served from the stale window. */
  let gateway: Gateway;
  /** db_unavailable_readiness: not_ready, the spec's strict readiness. */
  let strict: Gateway;

  beforeAll(async () => {
    proxy = await startTcpProxy(5432);
    const strictConfig = {
      model_list: [model],
      general_settings: { master_key: MASTER_KEY, db_unavailable_readiness: "not_ready" },
    };
    replicas = await startReplicas([{ model_list: [model] }, strictConfig], {
      databaseUrl: (schemaUrl) => {
        const url = new URL(schemaUrl);
        url.hostname = "127.0.0.1";
        url.port = String(proxy.port);
        return url.toString();
      },
    });
    [gateway, strict] = replicas.gateways as [Gateway, Gateway];
  });

  afterAll(async () => {
    proxy?.unblock();
    await replicas?.shutdown();
    await proxy?.close();
  });

  it("readiness names the database within 2.5 s of losing it (degraded, or 503 when strict), and recovers with it", async () => {
    for (const g of [gateway, strict]) {
      expect(await readiness(g)).toEqual({ status: 200, checks: { database: "ok", redis: "ok" } });
    }

    proxy.block();
    await waitFor(
      "readiness naming the database",
      async () =>
        (await Promise.all([gateway, strict].map(readiness))).every((r) => r.checks.database !== "ok"),
      2_500,
    );
    for (const [g, status] of [
      [gateway, 200],
      [strict, 503],
    ] as const) {
      const report = await readiness(g);
      expect(report.status).toBe(status);
      expect(report.checks.redis).toBe("ok");
      expect(report.checks.database).toMatch(/^database unavailable: /);
    }

    proxy.unblock();
    await recovered([gateway, strict], "database");
  });
});
