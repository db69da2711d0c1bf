import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ACCESS,
  type Access,
  applyDatabaseRoles,
  OWNER_ONLY_TABLES,
} from "../../functions/migrate/database-roles";
import { migrateHandler } from "../../functions/migrate/lambda";
import { scramVerifier } from "../../functions/migrate/scram-verifier";
import { insertFeedback, trafficRows } from "../../shared/learned/feedback-table";
import { jsonLogger } from "../../shared/logging/logger";
import { maintainSpendLogs } from "../../shared/spend/log-maintenance";
import { writeSpendBatch } from "../../shared/spend/spend-sql";
import { migrate } from "../../shared/store/sql/migrate";
import { pgSql } from "../../shared/store/sql/pg";
import type { Sql } from "../../shared/store/sql/port";
import { artifactBody, latestArtifact, publishArtifact } from "../../shared/store/tables/artifacts";
import { startBudgetWindow } from "../../shared/store/tables/budget-windows";
import { latestRevision, publishRevision } from "../../shared/store/tables/config-revisions";
import { deleteKeys, getKeyByHash, insertKey, listKeys, updateKey } from "../../shared/store/tables/keys";
import { acquireLease, type Lease, releaseLease, renewLease } from "../../shared/store/tables/leases";
import { getProxyBudget, startFirstProxyWindow } from "../../shared/store/tables/proxy-budget";
import { globalSpend, querySpendLogs } from "../../shared/store/tables/spend-logs";
import { deleteTeams, insertTeam } from "../../shared/store/tables/teams";
import { deleteUsers, insertUser } from "../../shared/store/tables/users";
import { POSTGRES_URL } from "../support/postgres";

/**
 * The grants the migration gives, tried for real on the machine's PostgreSQL: the migrations run
 * as the owner into a schema of this run, then each role connects as itself (trust auth here, so
 * the password is checked in scram-verifier.test.ts) and runs the table code its process runs.
 * Roles are cluster-wide, so their names carry this run's schema and are dropped afterwards.
 */
const SCHEMA = `roles_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
const ROLE = {
  gateway: `${SCHEMA}_gw`,
  sync: `${SCHEMA}_sync`,
  both: `${SCHEMA}_both`,
  deployed: `${SCHEMA}_deployed`,
  train: `${SCHEMA}_train`,
  operators: `${SCHEMA}_ops`,
  missing: `${SCHEMA}_missing`,
  powerful: `${SCHEMA}_powerful`,
} as const;

const url = (user?: string) => {
  const parsed = new URL(POSTGRES_URL);
  if (user !== undefined) parsed.username = user;
  parsed.searchParams.set("options", `-c search_path=${SCHEMA}`);
  return parsed.toString();
};

const role = (name: string, access: readonly Access[], password = "pw-of-the-secret") => ({
  name,
  passwordVerifier: scramVerifier(password),
  access,
});

let owner: Sql;
const sessions: Sql[] = [];
const connectAs = (user: string) => {
  const sql = pgSql({ connectionString: url(user), max: 2 });
  sessions.push(sql);
  return sql;
};

/** Fails with PostgreSQL's insufficient_privilege, not some other error. */
const denied = async (work: Promise<unknown>) => expect(work).rejects.toMatchObject({ code: "42501" });

beforeAll(async () => {
  const admin = pgSql({ connectionString: POSTGRES_URL, max: 1 });
  try {
    await admin.query(`CREATE SCHEMA ${SCHEMA}`);
  } finally {
    await admin.close();
  }
  owner = pgSql({ connectionString: url(), max: 2 });
  await migrate(owner);
  await applyDatabaseRoles(owner, [
    role(ROLE.gateway, ["serve"]),
    role(ROLE.sync, ["publish"]),
    role(ROLE.both, ["serve", "publish"]),
    role(ROLE.train, ["train"]),
  ]);
});

afterAll(async () => {
  await Promise.allSettled(sessions.map((sql) => sql.close()));
  if (owner === undefined) return;
  await owner.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
  for (const name of Object.values(ROLE)) await owner.query(`DROP ROLE IF EXISTS ${name}`);
  await owner.close();
});

const spendRow = (requestId: string, keyHash: string) => ({
  requestId,
  keyHash,
  teamId: "team-a",
  userId: "user-a",
  modelGroup: "demo",
  deployment: "demo-0",
  provider: "mock",
  status: 200,
  promptTokens: 3,
  completionTokens: 4,
  totalTokens: 7,
  spend: 0.25,
  cacheHit: false,
  startedAt: new Date(),
  endedAt: new Date(),
  metadata: {},
});

describe("database roles", () => {
  it("lets the gateway role do everything a gateway does", async () => {
    const gateway = connectAs(ROLE.gateway);
    await insertTeam(gateway, { teamId: "team-a" });
    await insertUser(gateway, { userId: "user-a" });
    await insertKey(gateway, { keyHash: "hash-a", keyName: "sk-...a", teamId: "team-a", userId: "user-a" });
    await updateKey(gateway, "hash-a", { blocked: true });
    expect((await getKeyByHash(gateway, "hash-a"))?.blocked).toBe(true);
    expect((await listKeys(gateway, { page: 1, size: 10 })).total).toBe(1);
    await writeSpendBatch(gateway, [spendRow("req-1", "hash-a")]);
    expect((await getKeyByHash(gateway, "hash-a"))?.spend).toBe(0.25);
    expect(await querySpendLogs(gateway, { keyHash: "hash-a", limit: 10 })).toHaveLength(1);
    expect((await globalSpend(gateway, {})).total).toBe(0.25);
    const resetAt = new Date(Date.now() - 1000);
    await updateKey(gateway, "hash-a", { budgetResetAt: resetAt });
    expect(await startBudgetWindow(gateway, "key", "hash-a", resetAt, new Date(Date.now() + 60_000))).toBe(
      true,
    );
    // The proxy-wide budget: added to by the spend batch above, its windows started and rolled.
    expect((await getProxyBudget(gateway)).spend).toBe(0.25);
    const proxyReset = new Date(Date.now() - 1000);
    expect(await startFirstProxyWindow(gateway, proxyReset)).toBe(true);
    expect(
      await startBudgetWindow(gateway, "proxy", "proxy", proxyReset, new Date(Date.now() + 60_000)),
    ).toBe(true);
    expect(await latestRevision(gateway, "config_sync")).toBeUndefined();
    // Routing models are followed; feedback on learned routing is recorded.
    expect(await latestArtifact(gateway, "routing_model")).toBeUndefined();
    expect(await artifactBody(gateway, 1)).toBeUndefined();
    const feedback = {
      keyHash: "hash-a",
      modelGroup: "auto",
      deployment: "d1",
      router: "llmrouter-knn",
      score: 1,
    };
    expect(await insertFeedback(gateway, { requestId: "req-1", ...feedback })).toBe(true);
    expect(await insertFeedback(gateway, { requestId: "req-1", ...feedback, score: 0 })).toBe(false);
    await gateway.transaction(async (tx) => {
      await deleteTeams(tx, ["team-a"]);
      await deleteUsers(tx, ["user-a"]);
    });
    await insertKey(gateway, { keyHash: "hash-b", keyName: "sk-...b" });
    expect(await deleteKeys(gateway, ["hash-b"])).toEqual(["hash-b"]);
  });

  it("refuses the gateway role anything else: leases, publishing, history, DDL", async () => {
    const gateway = connectAs(ROLE.gateway);
    await denied(acquireLease(gateway, "config_sync", "gateway-1", 30));
    await denied(
      gateway.query(
        "INSERT INTO routeiq_config_revisions (lock_name, checksum, body, publisher, fencing_token) VALUES ('config_sync', 'x', 'x', 'x', 1)",
      ),
    );
    await denied(
      gateway.query(
        "INSERT INTO routeiq_artifacts (name, checksum, body, publisher, fencing_token) VALUES ('routing_model', 'x', '\\x00', 'x', 1)",
      ),
    );
    await denied(gateway.query("UPDATE routeiq_router_feedback SET score = 0"));
    await denied(gateway.query("DELETE FROM routeiq_router_feedback"));
    await denied(gateway.query("SELECT * FROM routeiq_migrations"));
    await denied(gateway.query("UPDATE routeiq_spend_logs SET spend = 0"));
    await denied(gateway.query("DELETE FROM routeiq_spend_logs"));
    await denied(gateway.query("DELETE FROM routeiq_proxy_budget"));
    await denied(gateway.query("INSERT INTO routeiq_proxy_budget (name) VALUES ('second')"));
    await denied(gateway.query("TRUNCATE routeiq_keys"));
    await denied(gateway.query("DROP TABLE routeiq_keys"));
    await denied(gateway.query("ALTER TABLE routeiq_keys ADD COLUMN stolen text"));
    await denied(gateway.query("CREATE INDEX stolen ON routeiq_keys (key_name)"));
    await denied(gateway.query(`CREATE TABLE ${SCHEMA}.stolen (id int)`));
    await denied(gateway.query("SELECT routeiq_spend_log_partitions_drop_before(now())"));
    await denied(gateway.query(`CREATE ROLE ${SCHEMA}_stolen LOGIN`));
    await denied(gateway.query(`ALTER ROLE ${ROLE.gateway} SUPERUSER`));
  });

  it("lets the sync role take the lease and publish, and nothing more", async () => {
    const sync = connectAs(ROLE.sync);
    const lease = (await acquireLease(sync, "config_sync", "sync-1", 30)) as Lease;
    expect(lease).toBeDefined();
    expect(await renewLease(sync, lease, 30)).toBeDefined();
    const revision = await publishRevision(sync, lease, {
      etag: "e1",
      checksum: "c1",
      body: "model_list: []",
    });
    expect(revision?.revision).toBeGreaterThan(0);
    expect((await latestRevision(sync, "config_sync"))?.checksum).toBe("c1");
    const artifact = { name: "router", etag: null, checksum: "c", body: new Uint8Array([1, 2]) };
    expect(await publishArtifact(sync, lease, artifact)).toBeDefined();
    expect(await releaseLease(sync, lease)).toBe(true);
    // The spend log's partitions, through the owner's functions only.
    expect(await maintainSpendLogs({ sql: sync, holderId: "sync-1", retention: "30d" })).toMatchObject({
      outcome: "done",
    });

    await denied(sync.query("SELECT * FROM routeiq_keys"));
    await denied(sync.query("SELECT * FROM routeiq_spend_logs"));
    await denied(insertTeam(sync, { teamId: "team-s" }));
    // Published history stays as written.
    await denied(sync.query("UPDATE routeiq_config_revisions SET body = 'x'"));
    await denied(sync.query("DELETE FROM routeiq_config_revisions"));
    await denied(sync.query("DELETE FROM routeiq_leases"));
    await denied(sync.query("DROP TABLE routeiq_leases"));
  });

  it("lets the training role read traffic and feedback, and nothing more", async () => {
    const train = connectAs(ROLE.train);
    expect(await trafficRows(train, { group: "auto", outcomes: true })).toEqual([]);
    await denied(train.query("SELECT * FROM routeiq_keys"));
    await denied(train.query("DELETE FROM routeiq_router_feedback"));
    await denied(writeSpendBatch(train, [spendRow("req-t", "hash-t")]));
  });

  it("lets a gateway that syncs in-process (Fargate) do both", async () => {
    const both = connectAs(ROLE.both);
    const lease = (await acquireLease(both, "fargate_sync", "task-1", 30)) as Lease;
    expect(
      await publishRevision(both, lease, { etag: null, checksum: "c2", body: "model_list: []" }),
    ).toBeDefined();
    await insertKey(both, { keyHash: "hash-f", keyName: "sk-...f" });
    await denied(both.query("SELECT * FROM routeiq_migrations"));
  });

  it("creates plain login roles whose password is the verifier given, never the password", async () => {
    const { rows } = await owner.query<Record<string, unknown>>(
      `SELECT rolname, rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls, rolcanlogin, rolpassword
       FROM pg_authid WHERE rolname = ANY($1::text[]) ORDER BY rolname`,
      [Object.values(ROLE)],
    );
    expect(rows).toHaveLength(4);
    for (const row of rows) {
      expect(row).toMatchObject({
        rolsuper: false,
        rolcreaterole: false,
        rolcreatedb: false,
        rolreplication: false,
        rolbypassrls: false,
        rolcanlogin: true,
      });
      expect(row.rolpassword).toMatch(/^SCRAM-SHA-256\$4096:/);
    }
  });

  it("re-applies idempotently, taking back access no longer listed and setting a new password", async () => {
    const before = await owner.query<{ rolpassword: string }>(
      "SELECT rolpassword FROM pg_authid WHERE rolname = $1",
      [ROLE.both],
    );
    const narrowed = role(ROLE.both, ["serve"], "a-new-password");
    await applyDatabaseRoles(owner, [narrowed]);
    await applyDatabaseRoles(owner, [narrowed]);
    const after = await owner.query<{ rolpassword: string }>(
      "SELECT rolpassword FROM pg_authid WHERE rolname = $1",
      [ROLE.both],
    );
    expect(after.rows[0]?.rolpassword).toBe(narrowed.passwordVerifier);
    expect(after.rows[0]?.rolpassword).not.toBe(before.rows[0]?.rolpassword);
    const both = connectAs(ROLE.both);
    await denied(acquireLease(both, "fargate_sync", "task-2", 30));
    expect(await getKeyByHash(both, "hash-f")).toBeDefined();
  });

  it("refuses a plain password or an unquotable name before running any DDL", async () => {
    await expect(
      applyDatabaseRoles(owner, [{ name: `${SCHEMA}_x`, passwordVerifier: "hunter2", access: ["serve"] }]),
    ).rejects.toThrow(/SCRAM-SHA-256 verifier/);
    await expect(applyDatabaseRoles(owner, [role('x"; DROP SCHEMA public; --', ["serve"])])).rejects.toThrow(
      /plain lower-case SQL identifier/,
    );
    const { rowCount } = await owner.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [`${SCHEMA}_x`]);
    expect(rowCount).toBe(0);
  });

  it("is what the deploy's migrate function sets up from the role secrets it is given", async () => {
    const secrets = {
      async read(id: string) {
        if (id !== "arn:role") throw new Error(`no secret ${id}`);
        return JSON.stringify({ username: ROLE.deployed, password: "from-secrets-manager" });
      },
    };
    const handler = migrateHandler({
      env: {
        DATABASE_URL: url(),
        ROUTEIQ_DATABASE_ROLES: JSON.stringify([{ secret_arn: "arn:role", access: ["serve"] }]),
      },
      secrets: () => secrets,
      logger: jsonLogger(() => {}),
    });
    expect(await handler()).toEqual({ applied: [] });
    const deployed = connectAs(ROLE.deployed);
    expect(await getKeyByHash(deployed, "hash-f")).toBeDefined();
    await denied(acquireLease(deployed, "config_sync", "x", 30));
  });

  it("grants a role the operator made (external stores) its access from its URL, leaving its password", async () => {
    await owner.query(`CREATE ROLE ${ROLE.operators} LOGIN PASSWORD 'the-operators-own'`);
    const passwordOf = async () =>
      (
        await owner.query<{ rolpassword: string }>("SELECT rolpassword FROM pg_authid WHERE rolname = $1", [
          ROLE.operators,
        ])
      ).rows[0]?.rolpassword;
    const before = await passwordOf();
    const gatewayUrl = `postgresql://${ROLE.operators}:the-operators-own@ep-x-pooler.neon.tech/routeiq`;
    // One URL for both the gateway and the sync: the role gets both accesses, not the last one.
    const handler = migrateHandler({
      env: {
        DATABASE_URL: url(),
        ROUTEIQ_DATABASE_ROLES: JSON.stringify([
          { url_secret_arn: "arn:gateway-url", access: ["serve"] },
          { url_secret_arn: "arn:gateway-url", access: ["publish"] },
        ]),
      },
      secrets: () => ({
        async read(id: string) {
          if (id !== "arn:gateway-url") throw new Error(`no secret ${id}`);
          return gatewayUrl;
        },
      }),
      logger: jsonLogger(() => {}),
    });
    expect(await handler()).toEqual({ applied: [] });
    expect(await passwordOf()).toBe(before);
    const operators = connectAs(ROLE.operators);
    expect(await getKeyByHash(operators, "hash-f")).toBeDefined();
    const lease = (await acquireLease(operators, "operators_sync", "x", 30)) as Lease;
    expect(await releaseLease(operators, lease)).toBe(true);
    await denied(operators.query("SELECT * FROM routeiq_migrations"));
    await denied(operators.query("DROP TABLE routeiq_keys"));
  });

  it("refuses a role the operator should have made, saying how to make it", async () => {
    await expect(applyDatabaseRoles(owner, [{ name: ROLE.missing, access: ["serve"] }])).rejects.toThrow(
      `role ${ROLE.missing} does not exist: create it (CREATE ROLE ${ROLE.missing} LOGIN PASSWORD '...') before deploying`,
    );
    const { rowCount } = await owner.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [ROLE.missing]);
    expect(rowCount).toBe(0);
  });

  it("refuses the migration's own user, whose access it would take from the schema", async () => {
    const { rows } = await owner.query<{ user: string }>('SELECT current_user AS "user"');
    const self = rows[0]?.user as string;
    await expect(applyDatabaseRoles(owner, [{ name: self, access: ["serve"] }])).rejects.toThrow(
      `role ${self} is the migration's own user, the schema's owner`,
    );
    await expect(applyDatabaseRoles(owner, [role(self, ["serve"])])).rejects.toThrow(/own user/);
    expect((await owner.query("SELECT * FROM routeiq_migrations")).rowCount).toBeGreaterThan(0);
  });

  it("refuses a role with powers or memberships its grants cannot bound (a Neon Console role)", async () => {
    await owner.query(`CREATE ROLE ${ROLE.powerful} LOGIN CREATEROLE IN ROLE pg_read_all_data`);
    await expect(applyDatabaseRoles(owner, [{ name: ROLE.powerful, access: ["serve"] }])).rejects.toThrow(
      `role ${ROLE.powerful} has more than its grants (CREATEROLE, member of pg_read_all_data): create it with SQL, as a plain LOGIN role`,
    );
    // Nor is a generated password set on one.
    await expect(applyDatabaseRoles(owner, [role(ROLE.powerful, ["serve"])])).rejects.toThrow(
      /more than its grants/,
    );
    const { rows } = await owner.query<{ granted: boolean }>(
      "SELECT has_table_privilege($1, 'routeiq_keys', 'INSERT') AS granted",
      [ROLE.powerful],
    );
    expect(rows[0]?.granted).toBe(false);
  });

  it("decides every table the migrations create: granted to a role, or the owner's alone", async () => {
    // A partition is reached through its parent, whose grants are the ones checked.
    const { rows } = await owner.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition`,
      [SCHEMA],
    );
    const granted = Object.values(ACCESS).flatMap((grants) => Object.keys(grants.tables));
    expect(new Set(rows.map((row) => row.name))).toEqual(new Set([...granted, ...OWNER_ONLY_TABLES]));
  });
});
