import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const CI_RUN = fileURLToPath(new URL("../../.ci/run", import.meta.url));

/** Runs `script` in bash after sourcing .ci/run, which then only defines its steps. */
const step = (script: string, env: Record<string, string> = {}) =>
  spawnSync("bash", ["-c", `source "${CI_RUN}"\n${script}`], {
    encoding: "utf8",
    env: { ...process.env, ...env },
    timeout: 30_000,
  });

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const address = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

// What Debian's postgresql package writes (peer and scram-sha-256): the tests could not log in.
const DEBIAN_HBA = [
  "local   all             postgres                                peer",
  "local   all             all                                     peer",
  "host    all             all             127.0.0.1/32            scram-sha-256",
  "host    all             all             ::1/128                 scram-sha-256",
  "",
].join("\n");

describe(".ci/run", () => {
  it("defines its steps without running any when sourced", () => {
    const result = step("declare -F | awk '{ print $3 }'");
    expect(result.status, result.stderr).toBe(0);
    const defined = result.stdout.split("\n");
    for (const name of ["install_nginx", "install_chromium", "ensure_postgres", "ensure_redis", "main"]) {
      expect(defined).toContain(name);
    }
    expect(result.stdout).not.toContain("== npm");
  });

  it("starts Redis where none answers, and leaves a running one alone", async () => {
    const port = String(await freePort());
    try {
      const first = step("ensure_redis", { REDIS_PORT: port });
      expect(first.status, first.stderr).toBe(0);
      expect(first.stdout).toContain(`== starting Redis on port ${port}`);
      expect(spawnSync("redis-cli", ["-p", port, "ping"], { encoding: "utf8" }).stdout.trim()).toBe("PONG");
      const again = step("ensure_redis", { REDIS_PORT: port });
      expect(again.status, again.stderr).toBe(0);
      expect(again.stdout).not.toContain("starting Redis");
    } finally {
      spawnSync("redis-cli", ["-p", port, "shutdown", "nosave"]);
    }
  });

  it("puts trust for postgres on loopback ahead of a fresh cluster's own rules, once", () => {
    const dir = mkdtempSync(join(tmpdir(), "routeiq-ci-run-"));
    const hba = join(dir, "pg_hba.conf");
    try {
      writeFileSync(hba, DEBIAN_HBA);
      for (let i = 0; i < 2; i++) {
        const result = step(`pg_trust_loopback "${hba}"`);
        expect(result.status, result.stderr).toBe(0);
      }
      const rules = readFileSync(hba, "utf8")
        .split("\n")
        .filter((line) => line.trim() !== "" && !line.startsWith("#"));
      // pg_hba.conf is read top down: the first matching line decides.
      expect(rules.slice(0, 2)).toEqual([
        "host all postgres 127.0.0.1/32 trust",
        "host all postgres ::1/128 trust",
      ]);
      expect(rules.slice(2)).toEqual(DEBIAN_HBA.split("\n").filter((line) => line !== ""));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
