import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate } from "./migrate";
import { pgliteThreadSql } from "./pglite-thread";
import type { Sql } from "./port";

let sql: Sql;
beforeAll(async () => {
  sql = await pgliteThreadSql();
  await migrate(sql);
  await sql.query("CREATE TABLE thread_t (id text PRIMARY KEY, n int8)");
}, 120_000);
afterAll(() => sql.close());

describe("the embedded database on its own thread", () => {
  it("runs statements with and without parameters, int8 as strings as pg returns them", async () => {
    await sql.query("INSERT INTO thread_t VALUES ($1, $2), ($3, $4)", ["a", 1, "b", 2]);
    const { rows } = await sql.query<{ id: string; n: string }>("SELECT id, n FROM thread_t ORDER BY id");
    expect(rows).toEqual([
      { id: "a", n: "1" },
      { id: "b", n: "2" },
    ]);
    const count = await sql.query<{ c: string }>("SELECT count(*) AS c FROM thread_t");
    expect(count.rows[0]?.c).toBe("2");
  });

  it("commits a transaction that resolves and rolls back one that throws", async () => {
    const value = await sql.transaction(async (tx) => {
      await tx.query("INSERT INTO thread_t VALUES ($1, $2)", ["c", 3]);
      return "done";
    });
    expect(value).toBe("done");
    const boom = new Error("boom");
    await expect(
      sql.transaction(async (tx) => {
        await tx.query("INSERT INTO thread_t VALUES ($1, $2)", ["d", 4]);
        throw boom;
      }),
    ).rejects.toBe(boom);
    const { rows } = await sql.query<{ id: string }>("SELECT id FROM thread_t WHERE id IN ('c', 'd')");
    expect(rows.map((r) => r.id)).toEqual(["c"]);
  });

  it("keeps statements from outside a transaction out of it until it ends", async () => {
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tx = sql.transaction(async (t) => {
      await t.query("INSERT INTO thread_t VALUES ($1, $2)", ["e", 5]);
      await held;
      await t.query("UPDATE thread_t SET n = 6 WHERE id = 'e'");
    });
    const outside = sql.query<{ n: string }>("SELECT n FROM thread_t WHERE id = 'e'");
    await new Promise((resolve) => setTimeout(resolve, 50));
    release();
    await tx;
    expect((await outside).rows).toEqual([{ n: "6" }]);
  });

  it("passes the database's error on with its SQLSTATE", async () => {
    const error = await sql.query("INSERT INTO thread_t VALUES ('a', 9)").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as { code?: string }).code).toBe("23505");
    expect((error as Error).message).toContain("duplicate key");
    // The connection is still usable afterwards, inside a transaction too.
    const tx = await sql
      .transaction((t) => t.query("INSERT INTO thread_t VALUES ('b', 9)"))
      .catch((e: unknown) => e);
    expect((tx as { code?: string }).code).toBe("23505");
    await sql.ping();
  });
});

describe("the embedded database's directory", () => {
  it("is created whole on a first start and opened as it is afterwards, keeping its rows", async () => {
    const parent = await mkdtemp(join(tmpdir(), "routeiq-pglite-"));
    const dataDir = join(parent, "pglite");
    try {
      const first = await pgliteThreadSql({ dataDir });
      await first.query("CREATE TABLE kept (id int)");
      await first.query("INSERT INTO kept VALUES (1)");
      await first.close();
      // Only the database is left beside it: the directory it was made in is gone.
      expect(await readdir(parent)).toEqual(["pglite"]);
      const again = await pgliteThreadSql({ dataDir });
      expect((await again.query<{ id: number }>("SELECT id FROM kept")).rows).toEqual([{ id: 1 }]);
      await again.close();
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  }, 120_000);

  it("refuses a directory that exists and holds no database, naming it", async () => {
    const parent = await mkdtemp(join(tmpdir(), "routeiq-pglite-"));
    const dataDir = join(parent, "pglite");
    try {
      await mkdir(dataDir);
      await writeFile(join(dataDir, "notes.txt"), "not a database");
      await expect(pgliteThreadSql({ dataDir })).rejects.toThrow(`${dataDir} exists and holds no database`);
      expect((await readdir(parent)).sort()).toEqual(["pglite"]);
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  }, 120_000);
});
