import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { type PgWsRelay, startPgWsRelay } from "../../infra/local/pg-ws-relay";
import { migrations } from "../../shared/store/migrations";
import { migrate } from "../../shared/store/sql/migrate";
import { neonSql } from "../../shared/store/sql/neon";
import { pgSql } from "../../shared/store/sql/pg";
import { pgliteSql } from "../../shared/store/sql/pglite";
import type { Sql } from "../../shared/store/sql/port";
import { DatabaseUnavailableError } from "../../shared/store/sql/unavailable";
import { startTcpProxy } from "../support/tcp-proxy";

// The machine's PostgreSQL; these tests fail (never skip) when it is not running.
// Starting PGlite takes seconds (more on a busy machine), so tests that start one get a wider bound.
const PGLITE_TIMEOUT_MS = 90_000;
const DATABASE_URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const SCHEMA = `t_${randomUUID().replaceAll("-", "").slice(0, 16)}`;

/** A pool whose every connection works in `schema`, so each run has tables of its own. */
function inSchema(schema: string): string {
  const url = new URL(DATABASE_URL);
  url.searchParams.set("options", `-c search_path=${schema}`);
  return url.toString();
}

const tableExists = async (sql: Sql, table: string) =>
  (await sql.query<{ found: string | null }>("SELECT to_regclass($1)::text AS found", [table])).rows[0]
    ?.found !== null;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let admin: Sql;
/** Neon's driver speaks PostgreSQL over WebSocket: the relay puts the machine's server behind one. */
let relay: PgWsRelay;
const SCHEMAS = [SCHEMA, `${SCHEMA}_race`, `${SCHEMA}_neon`];

beforeAll(async () => {
  admin = pgSql({ connectionString: DATABASE_URL });
  for (const schema of SCHEMAS) await admin.query(`CREATE SCHEMA ${schema}`);
  const { hostname, port } = new URL(DATABASE_URL);
  relay = await startPgWsRelay({ host: hostname, port: Number(port || 5432) });
});

afterAll(async () => {
  await relay?.close();
  for (const schema of SCHEMAS) await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.close();
});

const adapters: [string, () => Promise<Sql>][] = [
  ["postgres", async () => pgSql({ connectionString: inSchema(SCHEMA), max: 4 })],
  ["pglite", () => pgliteSql({})],
  [
    "neon",
    async () =>
      neonSql({ connectionString: inSchema(`${SCHEMA}_neon`), wsProxy: relay.url, webSocket: WebSocket }),
  ],
];

describe.each(adapters)("%s sql", (_adapter, open) => {
  let sql: Sql;

  beforeAll(async () => {
    sql = await open();
    await sql.query(`
      CREATE TABLE items (id integer PRIMARY KEY, name text NOT NULL, tags text[] NOT NULL DEFAULT '{}',
                          meta jsonb NOT NULL DEFAULT '{}', big bigint NOT NULL DEFAULT 0);
      CREATE TABLE ledger (id serial PRIMARY KEY, note text NOT NULL)`);
  }, PGLITE_TIMEOUT_MS);

  afterAll(async () => {
    await sql.close();
  });

  it("runs parameterised statements and reports affected rows", async () => {
    const inserted = await sql.query(
      "INSERT INTO items (id, name, tags, meta, big) VALUES ($1, $2, $3, $4, $5)",
      [1, "one", ["a", "b"], { nested: { ok: true } }, "9007199254740993"],
    );
    expect(inserted.rowCount).toBe(1);
    await sql.query("INSERT INTO items (id, name) VALUES ($1, $2), ($3, $4)", [2, "two", 3, "three"]);

    const one = await sql.query<{ name: string; tags: string[]; meta: unknown; big: string }>(
      "SELECT name, tags, meta, big FROM items WHERE id = $1",
      [1],
    );
    expect(one.rows).toEqual([
      { name: "one", tags: ["a", "b"], meta: { nested: { ok: true } }, big: "9007199254740993" },
    ]);
    expect(one.rowCount).toBe(1);

    const updated = await sql.query("UPDATE items SET name = name || '!' WHERE id > $1", [1]);
    expect(updated.rowCount).toBe(2);
    const counted = await sql.query<{ n: string }>("SELECT count(*) AS n FROM items");
    expect(counted.rows).toEqual([{ n: "3" }]);
    const none = await sql.query("SELECT * FROM items WHERE name = $1", ["nobody"]);
    expect(none).toEqual({ rows: [], rowCount: 0 });
  });

  it("runs several statements without parameters, answering with the last", async () => {
    const result = await sql.query<{ note: string }>(
      "INSERT INTO ledger (note) VALUES ('x'); INSERT INTO ledger (note) VALUES ('y'); SELECT note FROM ledger ORDER BY id",
    );
    expect(result.rows.map((row) => row.note)).toEqual(["x", "y"]);
    await sql.query("DELETE FROM ledger");
  });

  it("commits a transaction that resolves, returning its value", async () => {
    const value = await sql.transaction(async (tx) => {
      await tx.query("INSERT INTO ledger (note) VALUES ($1)", ["committed"]);
      const { rows } = await tx.query<{ note: string }>("SELECT note FROM ledger WHERE note = $1", [
        "committed",
      ]);
      return rows.length;
    });
    expect(value).toBe(1);
    expect((await sql.query("SELECT 1 FROM ledger WHERE note = $1", ["committed"])).rowCount).toBe(1);
  });

  it("rolls back a transaction that throws, and passes the error on", async () => {
    await expect(
      sql.transaction(async (tx) => {
        await tx.query("INSERT INTO ledger (note) VALUES ($1)", ["thrown"]);
        throw new Error("changed my mind");
      }),
    ).rejects.toThrow("changed my mind");
    expect((await sql.query("SELECT 1 FROM ledger WHERE note = $1", ["thrown"])).rowCount).toBe(0);
  });

  it("rolls back a transaction whose statement fails", async () => {
    await expect(
      sql.transaction(async (tx) => {
        await tx.query("INSERT INTO ledger (note) VALUES ($1)", ["before-failure"]);
        await tx.query("INSERT INTO items (id, name) VALUES ($1, $2)", [1, "duplicate"]);
      }),
    ).rejects.toThrow(/duplicate key/);
    expect((await sql.query("SELECT 1 FROM ledger WHERE note = $1", ["before-failure"])).rowCount).toBe(0);
    // The connection is usable again after the failed transaction.
    expect((await sql.query("SELECT 1 AS one")).rows).toEqual([{ one: 1 }]);
  });

  it("rolls back the whole run when one migration fails, naming it", async () => {
    const broken = { version: 10_000, name: "broken", sql: "CREATE TABLE half_done (id int); SELEC 1" };
    await expect(migrate(sql, [...migrations, broken])).rejects.toThrow(
      /^migration 10000 \(broken\) failed: /,
    );
    for (const table of ["routeiq_migrations", "routeiq_keys", "half_done"]) {
      expect(await tableExists(sql, table)).toBe(false);
    }
  });

  it("applies every migration once and records it; a second run is a no-op", async () => {
    expect(await migrate(sql)).toEqual({ applied: migrations.map((m) => m.version) });
    const recorded = await sql.query<{ version: number; name: string }>(
      "SELECT version, name FROM routeiq_migrations ORDER BY version",
    );
    expect(recorded.rows).toEqual(migrations.map(({ version, name }) => ({ version, name })));
    for (const table of ["routeiq_teams", "routeiq_users", "routeiq_keys", "routeiq_spend_logs"]) {
      expect(await tableExists(sql, table)).toBe(true);
    }
    expect(await migrate(sql)).toEqual({ applied: [] });
    expect((await sql.query("SELECT 1 FROM routeiq_migrations")).rowCount).toBe(migrations.length);
  });

  it("applies only migrations it has not seen", async () => {
    const next = { version: 10_000, name: "test-extra", sql: "CREATE TABLE extra_from_test (id int)" };
    expect(await migrate(sql, [...migrations, next])).toEqual({ applied: [10_000] });
    expect(await tableExists(sql, "extra_from_test")).toBe(true);
  });

  it("answers ping, and refuses an already aborted one", async () => {
    await sql.ping(AbortSignal.timeout(2_000));
    await expect(sql.ping(AbortSignal.abort(new Error("gave up")))).rejects.toThrow("gave up");
  });
});

describe("migrate", () => {
  it("lets two processes migrate one database at once: one applies, the other waits and finds it done", async () => {
    const first = pgSql({ connectionString: inSchema(`${SCHEMA}_race`), max: 2 });
    const second = pgSql({ connectionString: inSchema(`${SCHEMA}_race`), max: 2 });
    try {
      const results = await Promise.all([migrate(first), migrate(second)]);
      const applied = results.map((result) => result.applied);
      expect(applied).toContainEqual(migrations.map((m) => m.version));
      expect(applied).toContainEqual([]);
      const { rows } = await first.query<{ n: string }>("SELECT count(*) AS n FROM routeiq_migrations");
      expect(rows).toEqual([{ n: String(migrations.length) }]);
      expect(await tableExists(second, "routeiq_keys")).toBe(true);
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });

  it("refuses a list out of order before touching the database", async () => {
    const untouched = { transaction: () => Promise.reject(new Error("touched")) } as unknown as Sql;
    const list = [
      { version: 2, name: "b", sql: "SELECT 1" },
      { version: 1, name: "a", sql: "SELECT 1" },
    ];
    await expect(migrate(untouched, list)).rejects.toThrow("migrations out of order: 1 (a) follows 2");
  });
});

describe("pg pool", () => {
  it("survives the server ending an idle connection (a restart, a failover) and reconnects", async () => {
    const errors: Error[] = [];
    const sql = pgSql({ connectionString: inSchema(SCHEMA), max: 1, onError: (error) => errors.push(error) });
    try {
      const { rows } = await sql.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
      await admin.query("SELECT pg_terminate_backend($1)", [rows[0]?.pid]);
      for (let i = 0; i < 50 && errors.length === 0; i++) await sleep(20);
      expect(errors).toHaveLength(1);
      const after = await sql.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
      expect(after.rows[0]?.pid).not.toBe(rows[0]?.pid);
      await sql.ping();
    } finally {
      await sql.close();
    }
  });
});

describe("pg while the database is unreachable", () => {
  it("every call fails with DatabaseUnavailableError naming the cause, and works again after", async () => {
    const proxy = await startTcpProxy(Number(new URL(DATABASE_URL).port || 5432));
    const url = new URL(inSchema(SCHEMA));
    url.port = String(proxy.port);
    const sql = pgSql({ connectionString: url.toString(), max: 2 });
    try {
      await sql.query("SELECT 1");
      proxy.block();
      const failures = await Promise.all(
        [sql.query("SELECT 1"), sql.transaction((tx) => tx.query("SELECT 1")), migrate(sql), sql.ping()].map(
          (call) =>
            call.then(
              () => undefined,
              (error: unknown) => error,
            ),
        ),
      );
      for (const error of failures) {
        expect(error).toBeInstanceOf(DatabaseUnavailableError);
        expect((error as Error).message).toMatch(/^database unavailable: \S/);
        expect((error as Error).message).not.toContain("postgres://");
      }
      proxy.unblock();
      expect((await sql.query<{ one: number }>("SELECT 1 AS one")).rows).toEqual([{ one: 1 }]);
      expect(await migrate(sql)).toEqual({ applied: expect.any(Array) });
    } finally {
      proxy.unblock();
      await sql.close();
      await proxy.close();
    }
  });
});

describe("pglite on disk", () => {
  it(
    "creates its directory and keeps data across close and reopen",
    async () => {
      const root = await mkdtemp(join(tmpdir(), "routeiq-pglite-"));
      const dataDir = join(root, "nested", "db");
      try {
        const first = await pgliteSql({ dataDir });
        await migrate(first);
        await first.query("INSERT INTO routeiq_teams (team_id, team_alias) VALUES ($1, $2)", ["t1", "kept"]);
        await first.close();

        const second = await pgliteSql({ dataDir });
        expect(await migrate(second)).toEqual({ applied: [] });
        const { rows } = await second.query("SELECT team_alias FROM routeiq_teams WHERE team_id = $1", [
          "t1",
        ]);
        expect(rows).toEqual([{ team_alias: "kept" }]);
        await second.close();
      } finally {
        await rm(root, { recursive: true, force: true });
      }
    },
    PGLITE_TIMEOUT_MS,
  );
});
