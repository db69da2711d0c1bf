import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import type { RedisNode } from "../../shared/store/kv/redis";

const REDIS_SERVER = process.env.REDIS_SERVER ?? "redis-server";
const SLOTS = 16_384;

export interface LocalRedisCluster {
  /** Every primary, in slot order. */
  readonly nodes: readonly RedisNode[];
  /** Which node's port serves `key` (CLUSTER KEYSLOT, then the slot ranges). */
  portOf(key: string): Promise<number>;
  /** A plain connection to one node (the caller closes it). */
  node(port: number): Redis;
  /** Stops one node (SIGKILL: no goodbye to its clients), keeping its cluster config. */
  kill(port: number): Promise<void>;
  /** Starts a killed node again: it rejoins with its slots (and without its data). */
  restart(port: number): Promise<void>;
  stop(): Promise<void>;
}

/** A test's own connection reports nothing in the background (a node the test killed refuses it). */
const quiet = (client: Redis): Redis => client.on("error", () => {});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/** A port that is free, and so is its cluster bus port (port + 10000). */
async function freeNodePort(taken: Set<number>): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    if (taken.has(port) || taken.has(port + 10_000)) continue;
    if ((await portFree(port)) && (await portFree(port + 10_000))) {
      taken.add(port);
      taken.add(port + 10_000);
      return port;
    }
  }
  throw new Error("no free port pair (port and port + 10000) for a Redis Cluster node");
}

function startNode(port: number, dir: string): Promise<ChildProcess> {
  const child = spawn(
    REDIS_SERVER,
    [
      ...["--port", String(port), "--bind", "127.0.0.1", "--dir", dir],
      ...["--cluster-enabled", "yes", "--cluster-config-file", `nodes-${port}.conf`],
      ...["--cluster-node-timeout", "2000", "--save", "", "--appendonly", "no"],
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  return new Promise((resolve, reject) => {
    let output = "";
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("Ready to accept connections")) resolve(child);
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("error", (error: NodeJS.ErrnoException) =>
      reject(
        error.code === "ENOENT"
          ? new Error(
              `${REDIS_SERVER} not found: the Redis Cluster tests start their own nodes (apt-get install redis-server, or set REDIS_SERVER)`,
            )
          : error,
      ),
    );
    child.once("exit", (code) =>
      reject(new Error(`redis-server on port ${port} exited (${code}): ${output}`)),
    );
  });
}

/**
 * Starts `size` `redis-server` processes in cluster mode on loopback (free ports, a temporary
 * directory), splits the slots evenly between them and waits until every node reports
 * `cluster_state:ok`. Fails loudly when redis-server is missing.
 */
export async function startRedisCluster(size = 3): Promise<LocalRedisCluster> {
  const dir = await mkdtemp(join(tmpdir(), "routeiq-redis-cluster-"));
  const taken = new Set<number>();
  const ports: number[] = [];
  for (let i = 0; i < size; i++) ports.push(await freeNodePort(taken));
  const children = new Map<number, ChildProcess>();
  const admin: Redis[] = [];
  const stop = async () => {
    for (const client of admin) client.disconnect();
    await Promise.all(
      [...children.values()].map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once("exit", () => resolve());
            child.kill("SIGTERM");
          }),
      ),
    );
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const started = await Promise.allSettled(ports.map((port) => startNode(port, dir)));
    started.forEach((result, i) => {
      if (result.status === "fulfilled") children.set(ports[i] as number, result.value);
    });
    const failed = started.find((result) => result.status === "rejected");
    if (failed !== undefined) throw failed.reason;
    for (const port of ports)
      admin.push(quiet(new Redis({ port, host: "127.0.0.1", maxRetriesPerRequest: 1 })));
    const per = Math.ceil(SLOTS / size);
    await Promise.all(
      admin.map(async (client, i) => {
        await client.call("CLUSTER", "SET-CONFIG-EPOCH", String(i + 1));
        await client.call(
          "CLUSTER",
          "ADDSLOTSRANGE",
          String(i * per),
          String(Math.min(SLOTS, (i + 1) * per) - 1),
        );
      }),
    );
    for (const port of ports.slice(1)) await admin[0]?.call("CLUSTER", "MEET", "127.0.0.1", String(port));
    const deadline = Date.now() + 10_000;
    for (;;) {
      const infos = await Promise.all(
        admin.map((client) => client.call("CLUSTER", "INFO") as Promise<string>),
      );
      if (
        infos.every(
          (info) => info.includes("cluster_state:ok") && info.includes(`cluster_known_nodes:${size}`),
        )
      )
        break;
      if (Date.now() > deadline)
        throw new Error(`the local Redis Cluster never became ok:\n${infos.join("\n")}`);
      await sleep(50);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  const per = Math.ceil(SLOTS / size);
  return {
    nodes: ports.map((port) => ({ host: "127.0.0.1", port })),
    async portOf(key) {
      // Any node answers; one may be down.
      const slot = Number(await Promise.any(admin.map((client) => client.call("CLUSTER", "KEYSLOT", key))));
      return ports[Math.floor(slot / per)] as number;
    },
    node: (port) => quiet(new Redis({ port, host: "127.0.0.1", maxRetriesPerRequest: 1 })),
    async kill(port) {
      const child = children.get(port);
      if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGKILL");
      await exited;
    },
    async restart(port) {
      children.set(port, await startNode(port, dir));
    },
    stop,
  };
}
