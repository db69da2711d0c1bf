import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { ConfigHolder } from "../../shared/config/config-holder";
import { loadConfig } from "../../shared/config/load";
import { jsonLogger, silentLogger } from "../../shared/logging/logger";
import { migrate } from "../../shared/store/sql/migrate";
import { pgSql } from "../../shared/store/sql/pg";
import type { Sql } from "../../shared/store/sql/port";
import { artifactBody, latestArtifact } from "../../shared/store/tables/artifacts";
import { latestRevision } from "../../shared/store/tables/config-revisions";
import { acquireLease, type Lease } from "../../shared/store/tables/leases";
import { ArtifactSync } from "../../shared/sync/artifact-sync";
import { sha256Hex } from "../../shared/sync/checksum";
import { ConfigSync, type Leadership } from "../../shared/sync/config-sync";
import type { FetchResult, ObjectSource } from "../../shared/sync/object-source";
import { RevisionFollower } from "../../shared/sync/revision-follower";
import { createTestSchema, type TestSchema } from "../support/postgres";
import { startTcpProxy } from "../support/tcp-proxy";

const configText = (...models: string[]) =>
  stringify({ model_list: models.map((m) => ({ model_name: m, litellm_params: { model: `mock/${m}` } })) });

/** An in-memory object store with S3's conditional-GET semantics, counting the fetches. */
function memorySource(initial: string) {
  let body = initial;
  let version = 1;
  const source = {
    fetches: 0,
    put(text: string) {
      body = text;
      version += 1;
    },
    describe: () => "memory://config.yaml",
    async fetch(previousEtag: string | undefined): Promise<FetchResult> {
      source.fetches += 1;
      const etag = `"v${version}"`;
      if (etag === previousEtag) return { changed: false };
      return { changed: true, etag, body: new TextEncoder().encode(body) };
    },
  };
  return source satisfies ObjectSource & { fetches: number };
}

const leading = (lease: Lease | undefined): Leadership => ({
  isLeader: () => lease !== undefined,
  currentLease: () => lease,
});

let schema: TestSchema;
let sql: Sql;
let lock = 0;
const lockName = () => `sync_${Date.now()}_${++lock}`;
const holderFor = (text: string) => new ConfigHolder(loadConfig(text, {}).config, "start");
const groups = (holder: ConfigHolder) => [...holder.current().groups.keys()];

beforeAll(async () => {
  schema = await createTestSchema("sync");
  sql = pgSql({ connectionString: schema.url });
  await migrate(sql);
});

afterAll(async () => {
  await sql?.close();
  await schema?.drop();
});

describe("config sync with leader election", () => {
  it("the leader publishes a validated revision; another replica picks it up; unchanged objects are not re-downloaded", async () => {
    const name = lockName();
    const source = memorySource(configText("a", "b"));
    const lease = await acquireLease(sql, name, "gateway-1-aaa", 30);
    const published: number[] = [];
    const sync = new ConfigSync({
      sql,
      source,
      leadership: leading(lease),
      holder: undefined,
      env: {},
      logger: silentLogger,
      onPublished: (r) => published.push(r),
    });
    expect(await sync.runOnce()).toBe("published");
    expect(await sync.runOnce()).toBe("unchanged");
    expect(published).toHaveLength(1);

    const replica = holderFor(configText("old"));
    const follower = new RevisionFollower({
      sql,
      holder: replica,
      lockName: name,
      env: {},
      logger: silentLogger,
    });
    await follower.check();
    expect(groups(replica)).toEqual(["a", "b"]);
    expect(replica.origin.revision).toBe(published[0]);
  });

  it("refuses an object reading the gateway's credentials, showing no value in its status or logs", async () => {
    const source = memorySource(configText("good"));
    const lines: string[] = [];
    const env = {
      DATABASE_URL: "postgresql://routeiq:db-secret@db.internal/routeiq",
      GROUP_NAME: "group-secret",
      ROUTEIQ_CONFIG_ENV_ALLOWLIST: "GROUP_NAME,DATABASE_URL",
    };
    const sync = new ConfigSync({
      sql,
      source,
      leadership: undefined,
      holder: holderFor(configText("good")),
      env,
      logger: jsonLogger((line) => lines.push(line)),
    });
    source.put(
      stringify({
        model_list: [
          {
            model_name: "gpt",
            litellm_params: {
              model: "openai/gpt-4o",
              api_base: "https://collector.example/v1",
              api_key: "os.environ/DATABASE_URL",
            },
          },
        ],
        router_settings: { fallbacks: [{ gpt: ["os.environ/GROUP_NAME"] }] },
      }),
    );
    expect(await sync.runOnce()).toBe("invalid");
    expect(sync.status.lastError).toContain("api_key: os.environ/DATABASE_URL is never resolved");
    const shown = [sync.status.lastError, ...lines].join("\n");
    expect(shown).not.toContain("db-secret");
    expect(shown).not.toContain("group-secret");
  });

  it("refuses an invalid object, keeps the last good revision, and says why", async () => {
    const name = lockName();
    const source = memorySource(configText("good"));
    const lease = await acquireLease(sql, name, "gateway-1-aaa", 30);
    const sync = new ConfigSync({
      sql,
      source,
      leadership: leading(lease),
      holder: undefined,
      env: {},
      logger: silentLogger,
    });
    expect(await sync.runOnce()).toBe("published");
    source.put("model_list: [{ model_name: x, litellm_params: { model: nope } }]");
    expect(await sync.runOnce()).toBe("invalid");
    expect(sync.status.lastError).toContain(
      'has no provider and is not a model RouteIQ knows the provider of; write "<provider>/<model>"',
    );
    // The bad object is not downloaded again until it changes, and it is still what the bucket
    // holds: not "unchanged", which would read (and count) as a success.
    const fetchesBefore = source.fetches;
    expect(await sync.runOnce()).toBe("invalid");
    expect(source.fetches).toBe(fetchesBefore + 1);
    expect(sync.status.lastError).toContain(
      'has no provider and is not a model RouteIQ knows the provider of; write "<provider>/<model>"',
    );

    const replica = holderFor(configText("old"));
    await new RevisionFollower({
      sql,
      holder: replica,
      lockName: name,
      env: {},
      logger: silentLogger,
    }).check();
    expect(groups(replica)).toEqual(["good"]);
  });

  it("followers skip quietly and count it; they never touch the object store", async () => {
    const source = memorySource(configText("a"));
    const sync = new ConfigSync({
      sql,
      source,
      leadership: leading(undefined),
      holder: undefined,
      env: {},
      logger: silentLogger,
    });
    expect(await sync.runOnce()).toBe("skipped");
    expect(await sync.runOnce()).toBe("skipped");
    expect(sync.status.skippedSyncCount).toBe(2);
    expect(source.fetches).toBe(0);
  });

  it("a publish while the database is unreachable fails with a clear error, and succeeds once it is back", async () => {
    const proxy = await startTcpProxy(Number(new URL(schema.url).port || 5432));
    const url = new URL(schema.url);
    url.port = String(proxy.port);
    const proxied = pgSql({ connectionString: url.toString() });
    try {
      const name = lockName();
      const lease = await acquireLease(proxied, name, "gateway-1-ddd", 30);
      const sync = new ConfigSync({
        sql: proxied,
        source: memorySource(configText("a")),
        leadership: leading(lease),
        holder: undefined,
        env: {},
        logger: silentLogger,
      });
      proxy.block();
      expect(await sync.runOnce()).toBe("error");
      expect(sync.status.lastError).toMatch(/^database unavailable: \S/);
      proxy.unblock();
      expect(await sync.runOnce()).toBe("published");
      expect(sync.status.lastError).toBeNull();
    } finally {
      proxy.unblock();
      await proxied.close();
      await proxy.close();
    }
  });

  it("a leader whose lease was taken over is refused by the fencing check", async () => {
    const name = lockName();
    const stale = await acquireLease(sql, name, "gateway-1-aaa", 0.2);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await acquireLease(sql, name, "gateway-2-bbb", 30);
    const sync = new ConfigSync({
      sql,
      source: memorySource(configText("late")),
      leadership: leading(stale),
      holder: undefined,
      env: {},
      logger: silentLogger,
    });
    expect(await sync.runOnce()).toBe("refused");
  });
});

describe("config sync never takes the master key away", () => {
  const keyed = (...models: string[]) =>
    stringify({
      general_settings: { master_key: "sk-integration" },
      model_list: models.map((m) => ({ model_name: m, litellm_params: { model: `mock/${m}` } })),
    });
  const leaderSync = (source: ReturnType<typeof memorySource>, lease: Lease | undefined, extra = {}) =>
    new ConfigSync({
      sql,
      source,
      leadership: leading(lease),
      holder: undefined,
      env: {},
      logger: silentLogger,
      ...extra,
    });

  it("the leader refuses to publish an object without the master key the published revision has, until a valid one replaces it", async () => {
    const name = lockName();
    const source = memorySource(keyed("good"));
    const lease = await acquireLease(sql, name, "gateway-1-aaa", 30);
    const sync = leaderSync(source, lease);
    expect(await sync.runOnce()).toBe("published");
    const published = await latestRevision(sql, name);

    source.put(configText("opened"));
    expect(await sync.runOnce()).toBe("invalid");
    expect(sync.status.lastError).toMatch(/^general_settings\.master_key: missing/);
    expect(await sync.runOnce()).toBe("invalid");
    expect((await latestRevision(sql, name))?.revision).toBe(published?.revision);

    source.put(keyed("good", "more"));
    expect(await sync.runOnce()).toBe("published");
    expect(sync.status.lastError).toBeNull();
  });

  it("the leader refuses an object naming another master key: bucket write access is not the management API", async () => {
    const name = lockName();
    const source = memorySource(keyed("good"));
    const lease = await acquireLease(sql, name, "gateway-1-aaa", 30);
    const sync = leaderSync(source, lease);
    expect(await sync.runOnce()).toBe("published");
    source.put(keyed("good").replace("sk-integration", "sk-attacker-chosen"));
    expect(await sync.runOnce()).toBe("invalid");
    expect(sync.status.lastError).toMatch(
      /^general_settings\.master_key: differs from the master key in force/,
    );
    expect(sync.status.lastError).not.toContain("sk-attacker-chosen");
    // An operator rotating the key through the bucket says so.
    const rotating = leaderSync(source, lease, { env: { ROUTEIQ_ALLOW_SYNCED_MASTER_KEY_CHANGE: "true" } });
    expect(await rotating.runOnce()).toBe("published");
  });

  it("refuses an empty object", async () => {
    const name = lockName();
    const source = memorySource("");
    const sync = leaderSync(source, await acquireLease(sql, name, "gateway-1-aaa", 30));
    expect(await sync.runOnce()).toBe("invalid");
    expect(sync.status.lastError).toContain("config is empty");
  });

  it("with nothing published yet, a gateway leader checks against the config it serves", async () => {
    const name = lockName();
    const sync = leaderSync(memorySource(configText("opened")), await acquireLease(sql, name, "g-1", 30), {
      holder: holderFor(keyed("local")),
    });
    expect(await sync.runOnce()).toBe("invalid");
    expect(await latestRevision(sql, name)).toBeUndefined();
  });

  it("a publisher that opts out (ROUTEIQ_ALLOW_NO_MASTER_KEY=true) publishes it; every replica with a key still refuses it, and counts it", async () => {
    const name = lockName();
    const source = memorySource(keyed("good"));
    const lease = await acquireLease(sql, name, "gateway-1-aaa", 30);
    const sync = leaderSync(source, lease, { env: { ROUTEIQ_ALLOW_NO_MASTER_KEY: "true" } });
    expect(await sync.runOnce()).toBe("published");
    const refused: string[] = [];
    const replica = new ConfigHolder(loadConfig(keyed("local"), {}).config, "start", {
      onRefused: (reason) => refused.push(reason),
    });
    const follower = new RevisionFollower({
      sql,
      holder: replica,
      lockName: name,
      env: {},
      logger: silentLogger,
    });
    await follower.check();
    expect(groups(replica)).toEqual(["good"]);

    source.put(configText("opened"));
    expect(await sync.runOnce()).toBe("published");
    await follower.check();
    expect(groups(replica)).toEqual(["good"]);
    expect(replica.current().masterKey).toBe("sk-integration");
    expect(refused).toEqual(["master_key_removed"]);
  });
});

describe("config sync with election off", () => {
  it("every replica applies what it fetches to itself", async () => {
    const holder = holderFor(configText("old"));
    const source = memorySource(configText("fresh"));
    const sync = new ConfigSync({
      sql,
      source,
      leadership: undefined,
      holder,
      env: {},
      logger: silentLogger,
    });
    expect(await sync.runOnce()).toBe("applied");
    expect(groups(holder)).toEqual(["fresh"]);
  });

  it("a replica refuses an object that would take its master key away, and keeps saying so while it is there", async () => {
    const holder = new ConfigHolder(
      loadConfig(stringify({ general_settings: { master_key: "sk-own" }, model_list: [] }), {}).config,
      "start",
    );
    const sync = new ConfigSync({
      sql,
      source: memorySource(configText("opened")),
      leadership: undefined,
      holder,
      env: {},
      logger: silentLogger,
    });
    expect(await sync.runOnce()).toBe("invalid");
    expect(await sync.runOnce()).toBe("invalid");
    expect(sync.status.lastError).toMatch(/^general_settings\.master_key: missing/);
    expect(holder.current().masterKey).toBe("sk-own");
  });
});

describe("routing model sync", () => {
  it("the leader publishes a changed model with its checksum; unchanged costs nothing; followers and stale leaders cannot publish", async () => {
    const name = lockName();
    const lease = await acquireLease(sql, name, "gateway-1-aaa", 30);
    const source = memorySource("weights-v1");
    const artifacts = new ArtifactSync({
      sql,
      source,
      name: `model_${name}`,
      leadership: leading(lease),
      logger: silentLogger,
    });
    expect(await artifacts.runOnce()).toBe("published");
    expect(await artifacts.runOnce()).toBe("unchanged");
    const stored = await latestArtifact(sql, `model_${name}`);
    const body = await artifactBody(sql, stored?.revision ?? 0);
    expect(new TextDecoder().decode(body)).toBe("weights-v1");
    expect(stored?.checksum).toBe(await sha256Hex(new TextEncoder().encode("weights-v1")));

    const follower = new ArtifactSync({
      sql,
      source,
      name: `model_${name}`,
      leadership: leading(undefined),
      logger: silentLogger,
    });
    expect(await follower.runOnce()).toBe("skipped");

    const stale = await acquireLease(sql, `${name}_b`, "gateway-1-aaa", 0.2);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await acquireLease(sql, `${name}_b`, "gateway-2-bbb", 30);
    source.put("weights-v2");
    const staleSync = new ArtifactSync({
      sql,
      source,
      name: `model_${name}`,
      leadership: leading(stale),
      logger: silentLogger,
    });
    expect(await staleSync.runOnce()).toBe("refused");
  });

  it("says why a fetch failed (an object over its size cap) until a run succeeds", async () => {
    const name = lockName();
    const lease = await acquireLease(sql, name, "gateway-1-aaa", 30);
    const source = memorySource("weights-v1");
    let refuse = true;
    const capped: ObjectSource = {
      describe: source.describe,
      fetch: async (etag) => {
        if (refuse)
          throw new Error("object memory://config.yaml is more than 8 bytes, over the limit of 8 bytes");
        return source.fetch(etag);
      },
    };
    const artifacts = new ArtifactSync({
      sql,
      source: capped,
      name: `model_${name}`,
      leadership: leading(lease),
      logger: silentLogger,
    });
    expect(artifacts.lastError).toBeNull();
    expect(await artifacts.runOnce()).toBe("error");
    expect(artifacts.lastError).toBe(
      "object memory://config.yaml is more than 8 bytes, over the limit of 8 bytes",
    );
    refuse = false;
    expect(await artifacts.runOnce()).toBe("published");
    expect(artifacts.lastError).toBeNull();
  });

  it("refuses an object its check rejects, publishes nothing, and does not download it again", async () => {
    const name = lockName();
    const lease = await acquireLease(sql, name, "gateway-1-aaa", 30);
    const source = memorySource("not a model");
    const published: number[] = [];
    const artifacts = new ArtifactSync({
      sql,
      source,
      name: `model_${name}`,
      leadership: leading(lease),
      logger: silentLogger,
      validate: async (body) => {
        if (new TextDecoder().decode(body) !== "a model") throw new Error("not a routeiq.router artifact");
      },
      onPublished: (revision) => published.push(revision),
    });
    expect(await artifacts.runOnce()).toBe("invalid");
    expect(await artifacts.runOnce()).toBe("invalid");
    expect(artifacts.lastError).toBe("not a routeiq.router artifact");
    expect(source.fetches).toBe(2);
    expect(await latestArtifact(sql, `model_${name}`)).toBeUndefined();
    source.put("a model");
    expect(await artifacts.runOnce()).toBe("published");
    expect(artifacts.lastError).toBeNull();
    expect(published).toEqual([(await latestArtifact(sql, `model_${name}`))?.revision]);
  });
});
