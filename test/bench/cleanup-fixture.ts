import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cleanUpOnSignals, onCleanup } from "../../bench/cleanup";
import { createBenchSchema } from "../../bench/shared-state";

/**
 * What `npm run bench` holds once it is set up, made the way the bench makes it: a temp dir, a
 * schema (BENCH_DATABASE_URL) and, registered after it, a process using it that takes 0.5 s to
 * stop, as a draining gateway does. Prints the dir and the pid as one JSON line, then waits.
 */
cleanUpOnSignals();
const dir = mkdtempSync(join(tmpdir(), "routeiq-bench-fixture-"));
onCleanup(`temp dir ${dir}`, () => rmSync(dir, { recursive: true, force: true }));
writeFileSync(join(dir, "gateway.log"), "a log\n");
await createBenchSchema();
const DRAINING =
  "process.on('SIGTERM', () => setTimeout(() => process.exit(0), 500)); console.log('up'); setInterval(() => {}, 1000);";
const gateway = spawn(process.execPath, ["-e", DRAINING], { stdio: ["ignore", "pipe", "inherit"] });
onCleanup(
  "gateway",
  () => new Promise<void>((resolve) => gateway.once("exit", () => resolve()).kill("SIGTERM")),
);
// Up means its SIGTERM handler is in place.
await new Promise((resolve) => gateway.stdout.once("data", resolve));
console.log(JSON.stringify({ dir, gateway: gateway.pid }));
setInterval(() => {}, 1000);
