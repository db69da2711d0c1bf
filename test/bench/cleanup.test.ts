import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { cleanUp, onCleanup } from "../../bench/cleanup";
import { POSTGRES_URL } from "../support/postgres";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

describe("the bench's cleanup registry", () => {
  it("undoes everything newest first, each once, and goes on past a failure, naming it", async () => {
    const done: string[] = [];
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    onCleanup("temp dir", () => {
      done.push("temp dir");
    });
    const dropEarly = onCleanup("first schema", async () => {
      done.push("first schema");
    });
    onCleanup("gateway", () => {
      done.push("gateway");
    });
    onCleanup("second schema", () => {
      throw new Error("connection refused");
    });
    onCleanup("gateway-shared", async () => {
      done.push("gateway-shared");
    });
    await dropEarly();
    await cleanUp();
    await cleanUp();
    expect(done).toEqual(["first schema", "gateway-shared", "gateway", "temp dir"]);
    expect(errors).toHaveBeenCalledWith("bench cleanup: second schema left behind (connection refused)");
    errors.mockRestore();
  });
});

/** The bench's schemas in the test database whose names carry `pid`. */
async function schemasOf(db: pg.Client, pid: number): Promise<string[]> {
  const { rows } = await db.query<{ nspname: string }>(
    "SELECT nspname FROM pg_namespace WHERE nspname LIKE $1",
    [`bench\\_${pid}\\_%`],
  );
  return rows.map((r) => r.nspname);
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe("a bench stopped by Ctrl-C", () => {
  let db: pg.Client;
  beforeAll(async () => {
    db = new pg.Client({ connectionString: POSTGRES_URL });
    await db.connect();
  });
  let pid: number | undefined;
  afterAll(async () => {
    // A failed run must not leave its schema in the test database either.
    if (pid !== undefined)
      for (const schema of await schemasOf(db, pid)) await db.query(`DROP SCHEMA ${schema} CASCADE`);
    await db?.end();
  });

  it("drops its schema, removes its temp dir and stops its processes, even when the signal comes twice", async () => {
    const bench = spawn(process.execPath, ["--import", "tsx", "test/bench/cleanup-fixture.ts"], {
      cwd: ROOT,
      env: { ...process.env, BENCH_DATABASE_URL: POSTGRES_URL },
      stdio: ["ignore", "pipe", "inherit"],
    });
    const exited = new Promise<number | null>((resolve) => bench.once("exit", (code) => resolve(code)));
    const first = await new Promise<string>((resolve, reject) => {
      createInterface({ input: bench.stdout }).once("line", resolve);
      bench.once("exit", (code) => reject(new Error(`the fixture exited with ${code} before it was set up`)));
    });
    const held = JSON.parse(first) as { dir: string; gateway: number };
    pid = bench.pid as number;
    expect(existsSync(held.dir)).toBe(true);
    expect(alive(held.gateway)).toBe(true);
    expect(await schemasOf(db, pid)).toHaveLength(1);

    // npm and tsx pass a terminal's Ctrl-C on, so the second one arrives while the gateway drains.
    bench.kill("SIGINT");
    await new Promise((resolve) => setTimeout(resolve, 100));
    bench.kill("SIGINT");
    expect(await exited).toBe(130);
    expect(await schemasOf(db, pid)).toEqual([]);
    expect(existsSync(held.dir)).toBe(false);
    expect(alive(held.gateway)).toBe(false);
  });
});
