import cluster, { type Worker } from "node:cluster";
import { z } from "zod";
import type { RuntimeConfig } from "../../shared/config/runtime-config";
import type { Logger } from "../../shared/logging/logger";
import { chooseKv, chooseSql, type StoreEnv } from "./stores";

const countSchema = z.coerce.number().int().min(1).max(256);

/** `--num_workers N` (or `--num_workers=N`), else `NUM_WORKERS`, else 1: LiteLLM's names. */
export function workerCountFrom(argv: readonly string[], env: Readonly<Record<string, string | undefined>>) {
  const flag = argv.findIndex((arg) => arg === "--num_workers" || arg.startsWith("--num_workers="));
  const [raw, source] =
    flag >= 0
      ? [
          (argv[flag] as string).includes("=") ? (argv[flag] as string).split("=")[1] : argv[flag + 1],
          "--num_workers",
        ]
      : [env.NUM_WORKERS === "" ? undefined : env.NUM_WORKERS, "NUM_WORKERS"];
  if (raw === undefined) {
    if (flag >= 0) throw new Error("--num_workers needs a number of processes, e.g. --num_workers 2");
    return 1;
  }
  const parsed = countSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`${source} must be a whole number from 1 to 256, got ${raw}`);
  return parsed.data;
}

/**
 * Why `count` processes cannot share this deployment's state, or undefined when they can. Each
 * worker is a replica: it needs the database and the limits every other replica sees. The
 * embedded database is one process's files, and limits kept in memory would let each worker
 * admit the whole rpm, tpm and budget again.
 */
export function whyNotShared(env: StoreEnv, config: Pick<RuntimeConfig, "databaseUrl">): string | undefined {
  const database = config.databaseUrl !== undefined || chooseSql(env).kind === "postgres";
  const redis = chooseKv(env).kind === "redis";
  if (database && redis) return undefined;
  const missing = [database ? [] : ["DATABASE_URL"], redis ? [] : ["REDIS_URL"]].flat().join(" and ");
  return `workers share state only through PostgreSQL and Redis, and ${missing} ${missing.includes(" and ") ? "are" : "is"} not set: the embedded database belongs to one process and in-memory limits would multiply by the number of workers`;
}

/** A worker that dies is replaced, but not in a tight loop: one that cannot start waits longer each time. */
const RESTART_DELAYS_MS = [0, 1_000, 5_000, 15_000] as const;
const HEALTHY_AFTER_MS = 30_000;

/**
 * The primary of `--num_workers N`: forks N gateway processes that accept on one port (node:cluster
 * hands connections out round-robin), replaces a worker that dies, and on SIGTERM/SIGINT passes the
 * signal on so each worker drains, then exits once all have.
 */
export function runPrimary(count: number, logger: Logger): void {
  let stopping = false;
  let failures = 0;
  const startedAt = new Map<Worker, number>();
  const fork = () => startedAt.set(cluster.fork(), Date.now());
  for (let i = 0; i < count; i++) fork();
  logger.info("workers started", { workers: count });

  cluster.on("exit", (worker, code, signal) => {
    const lived = Date.now() - (startedAt.get(worker) ?? 0);
    startedAt.delete(worker);
    if (stopping) {
      if (startedAt.size === 0) process.exit(0);
      return;
    }
    failures = lived > HEALTHY_AFTER_MS ? 0 : failures + 1;
    const delay = RESTART_DELAYS_MS[Math.min(failures, RESTART_DELAYS_MS.length - 1)] as number;
    logger.error("worker exited; starting another", {
      pid: worker.process.pid,
      code,
      signal,
      delay_ms: delay,
    });
    setTimeout(() => {
      if (!stopping) fork();
    }, delay);
  });

  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.once(signal, () => {
      logger.info("signal received; draining workers", { signal });
      stopping = true;
      if (startedAt.size === 0) process.exit(0);
      for (const worker of startedAt.keys()) worker.process.kill(signal);
    });
  }
}
