import { createHash, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { parseNodeEnv } from "../../functions/gateway/env";
import { openStores } from "../../functions/gateway/stores";
import { type CacheRequest, ResponseCache } from "../../shared/cache/response-cache";
import { parseCacheSettings } from "../../shared/cache/settings";
import { GatewayError } from "../../shared/errors";
import { runReadiness } from "../../shared/http/readiness";
import { type Admission, Limiter, type LimiterOptions } from "../../shared/limits/limiter";
import type { LimitSubject, SubjectScope } from "../../shared/limits/subject";
import { type Logger, silentLogger } from "../../shared/logging/logger";
import { sessionStore } from "../../shared/responses-api/session-store";
import type { ResponseObject } from "../../shared/responses-api/types";
import { KvRouterState } from "../../shared/router/kv-state";
import { deployment } from "../../shared/router/test-fixtures";
import { MemoryKv } from "../../shared/store/kv/memory";
import type { Kv } from "../../shared/store/kv/port";
import { prefixedKv } from "../../shared/store/kv/prefixed";
import { type RedisKv, type RedisNode, redisKv } from "../../shared/store/kv/redis";
import type { KvScript } from "../../shared/store/kv/script";
import { collect, describeKvPort } from "../support/kv-port-suite";
import { limitSubject } from "../support/limit-subject";
import { createTestSchema } from "../support/postgres";
import { type LocalRedisCluster, startRedisCluster } from "../support/redis-cluster";
import { REDIS_URL } from "../support/replicas";

/**
 * Everything the gateway keeps in Redis, on a real three-node Redis Cluster that this file starts
 * (and stops): a request's key, team and user live on different nodes, which one script may not
 * reach at once (CROSSSLOT), so the limiter admits them one by one and undoes on a refusal.
 */

const PREFIX = "routeiq";
let cluster: LocalRedisCluster;
const opened: RedisKv[] = [];
const storeErrors: unknown[] = [];

/** A gateway's view of the cluster: its own connections, its keys under the deployment's prefix. */
function gateway(): Kv {
  const kv = redisKv({ clusterNodes: cluster.nodes, onError: (error) => storeErrors.push(error) });
  opened.push(kv);
  return prefixedKv(kv, PREFIX);
}

beforeAll(async () => {
  cluster = await startRedisCluster(3);
}, 20_000);

afterAll(async () => {
  await Promise.all(opened.map((kv) => kv.close()));
  await cluster?.stop();
});

describe("the KV port on a Redis Cluster", () => {
  describeKvPort("redis cluster", (onError) => redisKv({ clusterNodes: cluster.nodes, onError }), true);

  it("says it is clustered, through the prefix too", () => {
    expect(gateway().clustered).toBe(true);
    expect(prefixedKv(new MemoryKv(), PREFIX).clustered).toBeFalsy();
  });

  it("loads a script on each node it runs on, and again after a node forgets it", async () => {
    const kv = gateway();
    const script: KvScript<string> = {
      name: "test_echo",
      lua: `-- ${randomUUID()}\nredis.call('SET', KEYS[1], ARGV[1])\nreturn redis.call('GET', KEYS[1])`,
      parse: String,
      memory: () => "",
    };
    const sha = createHash("sha1").update(script.lua).digest("hex");
    const byNode = new Map<number, string>();
    for (let i = 0; byNode.size < cluster.nodes.length; i++) {
      const key = `script-${i}`;
      byNode.set(await cluster.portOf(`${PREFIX}:${key}`), key);
    }
    for (const key of byNode.values()) expect(await kv.run(script, [key], [key])).toBe(key);
    for (const port of byNode.keys()) {
      const node = cluster.node(port);
      try {
        expect(await node.script("EXISTS", sha)).toEqual([1]);
        await node.script("FLUSH");
      } finally {
        node.disconnect();
      }
    }
    for (const key of byNode.values()) expect(await kv.run(script, [key], ["again"])).toBe("again");
  });

  it("delivers a message published by one gateway to another's subscribers", async () => {
    const [one, two] = [gateway(), gateway()];
    const inbox = collect(2);
    const stop = await two.subscribe("keys:changed", inbox.onMessage);
    await one.publish("keys:changed", "a");
    await one.publish("keys:changed", "b");
    expect(await inbox.received).toEqual(["a", "b"]);
    await stop();
  });
});

let counter = 0;
const run = Math.random().toString(36).slice(2, 8);

function subject(scope: SubjectScope, limits: Partial<LimitSubject> = {}): LimitSubject {
  counter += 1;
  return limitSubject(scope, `${scope}-${run}-${counter}`, limits);
}

const stateKey = (s: LimitSubject) => `${PREFIX}:lim:{${s.scope}:${s.id}}:s`;

/** Subjects of the given scopes, each on a node none of the others is on. */
async function apart(...scopes: [SubjectScope, Partial<LimitSubject>][]): Promise<LimitSubject[]> {
  const chosen: LimitSubject[] = [];
  const ports = new Set<number>();
  for (const [scope, limits] of scopes) {
    for (;;) {
      const s = subject(scope, limits);
      const port = await cluster.portOf(stateKey(s));
      if (ports.has(port)) continue;
      ports.add(port);
      chosen.push(s);
      break;
    }
  }
  return chosen;
}

function limiter(options: Partial<LimiterOptions> = {}): Limiter {
  return new Limiter({
    kv: gateway(),
    logger: silentLogger,
    failMode: () => "closed",
    onKvFailure: (error) => storeErrors.push(error),
    ...options,
  });
}

/** The refusal's code, or "admitted" (the admission kept in `held`). */
async function attempt(
  l: Limiter,
  subjects: readonly LimitSubject[],
  held: Admission[],
  reservation = { cost: 0, tokens: 0 },
): Promise<string> {
  try {
    held.push(await l.admit(subjects, reservation));
    return "admitted";
  } catch (error) {
    if (error instanceof GatewayError) return error.code;
    throw error;
  }
}

describe("limits and budgets on a Redis Cluster", () => {
  it("keeps each subject's keys in one slot, on nodes apart, where one script for all is refused", async () => {
    const [key, team, user] = await apart(
      ["key", { rpmLimit: 5 }],
      ["team", { rpmLimit: 5 }],
      ["user", { rpmLimit: 5 }],
    );
    const s = key as LimitSubject;
    const tags = [
      `${PREFIX}:lim:{key:${s.id}}:s`,
      `${PREFIX}:lim:{key:${s.id}}:fl`,
      `${PREFIX}:lim:{key:${s.id}}:fr`,
    ];
    expect(new Set(await Promise.all(tags.map((k) => cluster.portOf(k)))).size).toBe(1);

    const whole = limiter({ perSubject: false, onKvFailure: () => {} });
    const refused = await attempt(whole, [s, team as LimitSubject, user as LimitSubject], []);
    expect(refused).toBe("limits_unavailable");

    const held: Admission[] = [];
    expect(await attempt(limiter(), [s, team as LimitSubject, user as LimitSubject], held)).toBe("admitted");
    await Promise.all(held.map((a) => a.finish(0, 0)));
    expect(storeErrors).toEqual([]);
  });

  it("enforces rpm, tpm, parallel requests and budgets across a key, its team and its user", async () => {
    const l = limiter();
    const held: Admission[] = [];
    const [key, team, user] = (await apart(
      ["key", { rpmLimit: 3, maxBudget: 1 }],
      ["team", { tpmLimit: 100 }],
      ["user", { maxParallelRequests: 1 }],
    )) as [LimitSubject, LimitSubject, LimitSubject];
    const all = [key, team, user];

    expect(await attempt(l, all, held, { cost: 0.6, tokens: 60 })).toBe("admitted");
    // The user's one slot is taken.
    expect(await attempt(l, all, held, { cost: 0, tokens: 10 })).toBe("parallel_limit_exceeded");
    await held.shift()?.finish(100, 0.6);
    // The team used its 100 tokens this minute.
    expect(await attempt(l, all, held)).toBe("tpm_limit_exceeded");
    expect(await attempt(l, [key, user], held, { cost: 0.5, tokens: 10 })).toBe("admitted");
    await held.shift()?.finish(10, 0.5);
    // Spent 1.1 of 1: the key's budget refuses; an operator's reset starts it again from Postgres's 0.
    expect(await attempt(l, [key, user], held)).toBe("budget_exceeded");
    await l.resetSpend([key]);
    expect(await attempt(l, [key, user], held)).toBe("admitted");
    await held.shift()?.finish(0, 0);
    // Three admitted, none of the refusals counted.
    expect(await attempt(l, [key, user], held)).toBe("rpm_limit_exceeded");

    const proxy = subject("proxy", { maxBudget: 2, spend: 2 });
    expect(await attempt(l, [subject("key", { rpmLimit: 9 }), proxy], held)).toBe("budget_exceeded");
    expect(storeErrors).toEqual([]);
  });

  it("gives back what earlier subjects took when a later one refuses: rpm, tokens, slots and budget", async () => {
    const l = limiter();
    const held: Admission[] = [];
    const [key, user] = (await apart(
      ["key", { rpmLimit: 2, maxParallelRequests: 1, tpmLimit: 100, maxBudget: 1 }],
      ["user", { rpmLimit: 1 }],
    )) as [LimitSubject, LimitSubject];
    expect(await attempt(l, [key, user], held)).toBe("admitted");
    await held.shift()?.finish(0, 0);
    expect(await attempt(l, [key, user], held, { cost: 0.9, tokens: 90 })).toBe("rpm_limit_exceeded");
    // As if the refused request never came: one rpm, the slot, 90 tokens and $0.90 still free.
    expect(await attempt(l, [key], held, { cost: 0.9, tokens: 90 })).toBe("admitted");
    await held.shift()?.finish(0, 0);
    expect(await attempt(l, [key], held)).toBe("rpm_limit_exceeded");
    expect(storeErrors).toEqual([]);
  });

  it("under concurrency from two gateways, admits only what every subject allows and leaks nothing", async () => {
    const replicas = [limiter(), limiter()];
    const keys = await apart(
      ["key", { maxParallelRequests: 2, rpmLimit: 50 }],
      ["key", { maxParallelRequests: 2, rpmLimit: 50 }],
      ["key", { maxParallelRequests: 2, rpmLimit: 50 }],
    );
    const team = subject("team", { maxParallelRequests: 4, rpmLimit: 50 });
    const user = subject("user", { maxParallelRequests: 3, rpmLimit: 50 });
    const held: Admission[] = [];
    const who = new Map<Admission, number>();
    await Promise.all(
      Array.from({ length: 30 }, async (_, i) => {
        const mine: Admission[] = [];
        const l = replicas[i % 2] as Limiter;
        await attempt(l, [keys[i % 3] as LimitSubject, team, user], mine);
        for (const a of mine) {
          held.push(a);
          who.set(a, i % 3);
        }
      }),
    );
    expect(held.length).toBeGreaterThanOrEqual(1);
    expect(held.length).toBeLessThanOrEqual(3);
    for (let k = 0; k < 3; k++)
      expect([...who.values()].filter((v) => v === k).length).toBeLessThanOrEqual(2);

    // What the refused requests took was given back: the user has exactly 3 - held slots left.
    const probe = replicas[0] as Limiter;
    const probes: Admission[] = [];
    const userLeft = [];
    for (let i = 0; i < 4; i++) userLeft.push(await attempt(probe, [user], probes));
    expect(userLeft.filter((r) => r === "admitted")).toHaveLength(3 - held.length);
    await Promise.all([...held, ...probes].map((a) => a.finish(0, 0)));
    probes.length = 0;
    const teamLeft = [];
    for (let i = 0; i < 5; i++) teamLeft.push(await attempt(probe, [team], probes));
    expect(teamLeft.filter((r) => r === "admitted")).toHaveLength(4);
    // rpm: each subject counted exactly its admitted requests (and the probes), not the refused ones.
    const rpmProbe = limiter();
    const counted = (s: LimitSubject) => ({ ...s, maxParallelRequests: undefined });
    const admittedOnKey0 = [...who.values()].filter((v) => v === 0).length;
    let more = 0;
    while ((await attempt(rpmProbe, [counted(keys[0] as LimitSubject)], [])) === "admitted") more += 1;
    expect(more).toBe(50 - admittedOnKey0);
    await Promise.all(probes.map((a) => a.finish(0, 0)));
    expect(storeErrors).toEqual([]);
  });
});

describe("router state, response cache and stored responses on a Redis Cluster", () => {
  it("shares cooldowns and counts across gateways", async () => {
    const prefix = `{router-${run}}`;
    const [one, two] = [new KvRouterState(gateway(), { prefix }), new KvRouterState(gateway(), { prefix })];
    const a = deployment("a");
    const b = deployment("b");
    one.begin("b");
    await one.flush();
    expect(
      await one.end(
        "a",
        { result: "failed", latencyMs: 5, tokens: 0, coolNow: true },
        { allowedFails: 3, cooldownMs: 5_000 },
      ),
    ).toBe(true);
    const [sa, sb] = await two.stats([a, b]);
    expect(sa?.cooldownUntil).toBeGreaterThan(Date.now() + 3_000);
    expect(sb).toMatchObject({ inFlight: 1, rpm: 1 });
    expect(storeErrors).toEqual([]);
  });

  it("serves one gateway's cached answer to another", async () => {
    const answer = JSON.stringify({ id: "c", object: "chat.completion", choices: [] });
    const request: CacheRequest = {
      endpoint: "chat",
      route: "chat",
      modelGroup: "gpt",
      request: { model: "gpt", messages: [{ role: "user", content: `hi ${run}` }] },
      headers: new Headers(),
      identity: { key: "sk-one", team: "t" },
      settings: parseCacheSettings({ cache: true }),
    };
    const [one, two] = [new ResponseCache(gateway()), new ResponseCache(gateway())];
    const miss = await one.lookup(request);
    expect(miss.headers["x-routeiq-cache"]).toBe("miss");
    await miss.storeJson(answer);
    await one.drain();
    const hit = await two.lookup(request);
    expect(hit.headers["x-routeiq-cache"]).toBe("hit");
    expect(hit.hit?.body).toBe(answer);
  });

  it("follows a stored conversation and counts its key's quota in one slot", async () => {
    const store = sessionStore(gateway(), { ttlMs: 60_000, maxConversationChars: 1e6, quotaChars: 1e6 });
    const response = (id: string) => ({ response: { id } as ResponseObject, input: [] });
    await store.save("key.abc", response("resp_1"), undefined);
    await store.save("key.abc", response("resp_2"), "resp_1");
    const conversation = await store.conversation("key.abc", "resp_2");
    expect(conversation.status).toBe("found");
    expect(conversation.status === "found" && conversation.turns.map((t) => t.response.id)).toEqual([
      "resp_1",
      "resp_2",
    ]);
  });
});

describe("REDIS_URL given a cluster node (an ElastiCache cluster-mode endpoint)", () => {
  it("fails the gateway's readiness and says at start to list the nodes in REDIS_CLUSTER_NODES", async () => {
    const schema = await createTestSchema("rcnode");
    const errors: string[] = [];
    const logger: Logger = {
      ...silentLogger,
      error: (message, fields) => errors.push(`${message}: ${fields?.error}`),
    };
    const node = cluster.nodes[0] as RedisNode;
    const stores = await openStores(
      parseNodeEnv({ DATABASE_URL: schema.url, REDIS_URL: `redis://${node.host}:${node.port}` }),
      logger,
    );
    try {
      await vi.waitFor(() => expect(errors).toHaveLength(1));
      expect(errors[0]).toMatch(/^redis is a cluster node: .*REDIS_CLUSTER_NODES/);
      const report = await runReadiness(stores.readiness);
      expect(report.ready).toBe(false);
      expect(JSON.stringify(report)).toContain("REDIS_CLUSTER_NODES");
      expect(errors).toHaveLength(1);
    } finally {
      await stores.close();
      await schema.drop();
    }
    // One server, as REDIS_URL means, passes.
    const single = redisKv({ url: REDIS_URL });
    const clustered = redisKv({ clusterNodes: cluster.nodes });
    opened.push(single, clustered);
    expect(await single.reachesClusterNode()).toBe(false);
    expect(await clustered.reachesClusterNode()).toBe(false);
  });
});

describe("a cluster node that goes away", () => {
  it("fails fast for the keys it served, serves the others' keys, and recovers once it is back", async () => {
    const kv = gateway();
    const [down, up] = cluster.nodes.map((n) => n.port) as [number, number];
    const onNode = async (port: number) => {
      for (let i = 0; ; i++) if ((await cluster.portOf(`${PREFIX}:node-${i}`)) === port) return `node-${i}`;
    };
    const [lost, kept] = [await onNode(down), await onNode(up)];
    await kv.set(lost, "1");
    await kv.set(kept, "1");
    await cluster.kill(down);
    const started = Date.now();
    await expect(kv.get(lost)).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(1_500);
    // Until the survivors declare the cluster down (cluster-node-timeout), they still answer.
    expect(await kv.get(kept)).toBe("1");
    await cluster.restart(down);
    const deadline = Date.now() + 10_000;
    let value: string | null | Error = new Error("never answered");
    while (Date.now() < deadline) {
      value = await kv.get(lost).catch((error: Error) => error);
      if (!(value instanceof Error)) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // Back, without what it held (these nodes keep no data on disk).
    expect(value).toBeNull();
  }, 15_000);
});
