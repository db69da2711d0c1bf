import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { silentLogger } from "../../shared/logging/logger";
import { migrate } from "../../shared/store/sql/migrate";
import { pgSql } from "../../shared/store/sql/pg";
import type { Sql, SqlExecutor } from "../../shared/store/sql/port";
import { readLease } from "../../shared/store/tables/leases";
import type { ElectionSettings } from "../../shared/sync/election-settings";
import { LeaderElection } from "../../shared/sync/leader-election";
import { createTestSchema, type TestSchema } from "../support/postgres";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy";

const LEASE_MS = 600;
const RENEW_MS = 150;
// Room for timer lateness and a few local round trips, far below the intervals under test.
const SLACK_MS = 150;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `done` holds and returns how long that took; fails after `timeoutMs`. */
async function waitFor(done: () => boolean, timeoutMs: number, what: string): Promise<number> {
  const start = performance.now();
  while (!done()) {
    if (performance.now() - start > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(5);
  }
  return performance.now() - start;
}

let schema: TestSchema;
let proxy: TcpProxy | undefined;
const pools: Sql[] = [];
const elections: LeaderElection[] = [];
let lockCounter = 0;
let settings: ElectionSettings;

beforeAll(async () => {
  schema = await createTestSchema("election");
  await migrate(pool());
});

afterEach(async () => {
  await Promise.all(elections.splice(0).map((e) => e.stop()));
});

afterAll(async () => {
  proxy?.unblock();
  await Promise.all(pools.map((p) => p.close()));
  await proxy?.close();
  await schema?.drop();
});

// Every test competes for its own lock, so leftovers of one never decide another.
beforeEach(() => {
  settings = {
    enabled: true,
    leaseSeconds: LEASE_MS / 1000,
    renewIntervalSeconds: RENEW_MS / 1000,
    lockName: `config_sync_${++lockCounter}`,
  };
});

/** Its own pool per replica, as separate processes would have. */
function pool(url = schema.url): Sql {
  const sql = pgSql({ connectionString: url, max: 2 });
  pools.push(sql);
  return sql;
}

function replica(
  name: string,
  sql: SqlExecutor = pool(),
  onChange?: (isLeader: boolean) => void,
): LeaderElection {
  const election = new LeaderElection({
    sql,
    settings,
    holderId: `${name}-test`,
    logger: silentLogger,
    onChange,
  });
  elections.push(election);
  election.start();
  return election;
}

const leaders = (replicas: readonly LeaderElection[]) => replicas.filter((r) => r.isLeader());

async function electedAmong(replicas: readonly LeaderElection[]): Promise<LeaderElection> {
  await waitFor(() => leaders(replicas).length > 0, LEASE_MS + RENEW_MS + SLACK_MS, "a leader");
  return leaders(replicas)[0] as LeaderElection;
}

describe("leader election on postgres", () => {
  it("has exactly one leader at any instant among three replicas", async () => {
    const replicas = [replica("gateway-1"), replica("gateway-2"), replica("gateway-3")];
    const first = await electedAmong(replicas);
    const counts = new Set<number>();
    for (let t = 0; t < 1500; t += 20) {
      counts.add(leaders(replicas).length);
      await sleep(20);
    }
    expect([...counts]).toEqual([1]);
    // A healthy leader keeps renewing: no needless handover.
    expect(first.isLeader()).toBe(true);
    expect(first.status()).toMatchObject({ is_leader: true, leadership_changes: 1, database_errors: 0 });
  });

  it("passes leadership on within lease + renew interval when the leader dies without releasing", async () => {
    const replicas = [replica("gateway-1"), replica("gateway-2"), replica("gateway-3")];
    const crashed = await electedAmong(replicas);
    const token = crashed.currentLease()?.fencingToken ?? 0;
    await crashed.stop({ release: false });
    const survivors = replicas.filter((r) => r !== crashed);
    const took = await waitFor(
      () => leaders(survivors).length === 1,
      LEASE_MS + RENEW_MS + SLACK_MS,
      "a successor",
    );
    // It had to wait out the lease (renewed at most one interval before the crash).
    expect(took).toBeGreaterThan(LEASE_MS - RENEW_MS - 50);
    expect(leaders(survivors)[0]?.currentLease()?.fencingToken).toBe(token + 1);
  });

  it("hands over within one renew interval when the leader stops and releases", async () => {
    const replicas = [replica("gateway-1"), replica("gateway-2")];
    const leaving = await electedAmong(replicas);
    await leaving.stop();
    expect(leaving.isLeader()).toBe(false);
    const other = replicas.find((r) => r !== leaving) as LeaderElection;
    await waitFor(() => other.isLeader(), RENEW_MS + SLACK_MS, "the handover");
  });

  it("stops leading when its database connection is cut, by its lease deadline at the latest", async () => {
    proxy = await startTcpProxy(Number(new URL(schema.url).port || 5432));
    const viaProxy = new URL(schema.url);
    viaProxy.port = String(proxy.port);
    const changes: boolean[] = [];
    const cut = replica("gateway-1", pool(viaProxy.toString()), (isLeader) => changes.push(isLeader));
    await electedAmong([cut]);
    const standby = replica("gateway-2");

    proxy.block();
    await waitFor(() => !cut.isLeader(), LEASE_MS, "the cut-off leader to step down");
    expect(changes).toEqual([true, false]);
    await waitFor(() => standby.isLeader(), LEASE_MS + RENEW_MS + SLACK_MS, "the standby to take over");
    expect(cut.status().database_errors).toBeGreaterThan(0);
  });

  it("stops leading by its lease deadline when renewals hang, before anyone else may take over", async () => {
    const stalled = stallable(pool());
    const slow = replica("gateway-1", stalled);
    await electedAmong([slow]);
    const standby = replica("gateway-2");

    try {
      stalled.stall();
      const stalledAt = performance.now();
      let overlap = false;
      await waitFor(
        () => {
          const both = slow.isLeader() && standby.isLeader();
          overlap ||= both;
          return standby.isLeader();
        },
        LEASE_MS + RENEW_MS + SLACK_MS,
        "the standby to take over",
      );
      expect(overlap).toBe(false);
      expect(slow.isLeader()).toBe(false);
      expect(performance.now() - stalledAt).toBeLessThan(LEASE_MS + RENEW_MS + SLACK_MS);
    } finally {
      // The held statements must go on even after a failed assertion, or stop() waits on them forever.
      stalled.resume();
    }

    // The stalled renewal answers late, refused by the database: the old leader stays a follower.
    await sleep(RENEW_MS * 2);
    expect(slow.isLeader()).toBe(false);
    expect((await readLease(pool(), settings.lockName))?.holderId).toBe("gateway-2-test");
  });

  it("reports gaining and losing leadership through onChange", async () => {
    const changes: boolean[] = [];
    const election = replica("gateway-1", pool(), (isLeader) => changes.push(isLeader));
    await electedAmong([election]);
    expect(changes).toEqual([true]);
    expect(election.status()).toMatchObject({
      is_leader: true,
      holder_id: "gateway-1-test",
      leadership_changes: 1,
    });
    expect(election.status().lease_expires_at).toMatch(/^\d{4}-\d\d-\d\dT/);
    await election.stop();
    expect(changes).toEqual([true, false]);
    expect(election.status()).toMatchObject({
      is_leader: false,
      lease_expires_at: null,
      fencing_token: null,
    });
  });
});

/** An executor whose statements can be held back (as on a stalled network) and let through later. */
function stallable(sql: SqlExecutor) {
  let held: Array<() => void> | undefined;
  return {
    async query<Row>(text: string, params?: readonly unknown[]) {
      if (held !== undefined) await new Promise<void>((resolve) => held?.push(resolve));
      return sql.query<Row>(text, params);
    },
    stall() {
      held = [];
    },
    resume() {
      const waiting = held ?? [];
      held = undefined;
      for (const release of waiting) release();
    },
  };
}
