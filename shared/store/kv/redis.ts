import { createHash } from "node:crypto";
import { Cluster, type ClusterOptions, Redis, type RedisOptions } from "ioredis";
import { abortable } from "../abortable";
import type { Kv } from "./port";
import { evictionRisk, parseMemoryInfo, type RedisMemoryInfo } from "./redis-memory";
import type { KvScript } from "./script";

/** A Redis Cluster node to discover the cluster from. */
export interface RedisNode {
  readonly host: string;
  readonly port: number;
}

export interface RedisKvOptions {
  /**
   * A Redis Cluster (ElastiCache cluster mode) instead of one server: some of its nodes, from
   * which the rest are discovered. Wins over url/host/port; password and tls still apply.
   */
  readonly clusterNodes?: readonly RedisNode[];
  /** `redis://` or `rediss://` (TLS), user and password included; wins over host/port/password. */
  readonly url?: string;
  readonly host?: string;
  readonly port?: number;
  readonly password?: string;
  /** TLS without a `rediss://` URL (ElastiCache with in-transit encryption). */
  readonly tls?: boolean;
  /** A command without an answer within this fails; it bounds a hung server as refusal bounds a dead one. */
  readonly commandTimeoutMs?: number;
  /** Errors no caller sees: a lost connection (once per outage) and subscribers that throw. */
  readonly onError?: (error: unknown) => void;
}

type Handler = (message: string) => void;

/** The KV port on Redis, plus what only Redis can say: how it behaves when full. */
export interface RedisKv extends Kv {
  /** `maxmemory-policy` and `maxmemory`, from `INFO memory`. */
  memoryInfo(signal?: AbortSignal): Promise<RedisMemoryInfo>;
  /**
   * Whether a single-server connection reached a Redis Cluster node (`cluster_enabled:1`): it would
   * answer MOVED for every key of another node's slots. False on a cluster connection.
   */
  reachesClusterNode(signal?: AbortSignal): Promise<boolean>;
}

type Client = Redis | Cluster;

interface Connection {
  readonly client: Client;
  /** Settles once the first connection attempt has succeeded or failed. */
  readonly settled: Promise<void>;
}

const shas = new WeakMap<KvScript<unknown>, string>();

function shaOf(script: KvScript<unknown>): string {
  let sha = shas.get(script);
  if (sha === undefined) {
    sha = createHash("sha1").update(script.lua).digest("hex");
    shas.set(script, sha);
  }
  return sha;
}

function clientOptions(options: RedisKvOptions): RedisOptions {
  return {
    host: options.host,
    port: options.port,
    // Fail fast while disconnected: callers choose to fail open or closed, nothing waits in a queue.
    enableOfflineQueue: false,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
    // Commands issued in the same tick (a request's limit, budget and cache calls; concurrent
    // requests' ones) leave in one write instead of a syscall each; order and replies are unchanged.
    enableAutoPipelining: true,
    ...serverOptions(options),
  };
}

/** What every connection to a server gets, alone or as a cluster's node. */
function serverOptions(options: RedisKvOptions) {
  return {
    password: options.password,
    tls: options.tls ? {} : undefined,
    commandTimeout: options.commandTimeoutMs ?? 1_000,
    connectTimeout: 2_000,
    // Commands lost with a connection are rejected at once and never replayed: a caller that saw a
    // failure must not have its write (a counter increment) applied later behind its back.
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    // RESP2 replies, so scripts' replies look alike here, over Upstash's REST, and in memory.
    protocol: 2,
  } satisfies RedisOptions;
}

function clusterOptions(options: RedisKvOptions): ClusterOptions {
  return {
    redisOptions: serverOptions(options),
    enableOfflineQueue: false,
    clusterRetryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
    // A command whose node connection closed may have run: it fails, as on one server, instead of
    // being sent again once the slots are refreshed (a counter counted twice). Redirections
    // (MOVED, ASK) and TRYAGAIN ran nothing and are still followed.
    retryDelayOnFailover: 0,
    // A cluster missing a primary fails fast too: callers choose to fail open or closed.
    retryDelayOnClusterDown: 0,
    enableAutoPipelining: true,
    // Every command on a slot's primary: a replica's copy lags, and scripts write anyway.
    scaleReads: "master",
    // TLS certificates (ElastiCache's) name the nodes' DNS names: connect by name, not by IP.
    dnsLookup: (address, callback) => callback(null, address),
  };
}

function connect(options: RedisKvOptions, onError: (error: unknown) => void): Connection {
  let client: Client;
  if (options.clusterNodes !== undefined) {
    client = new Cluster(
      options.clusterNodes.map(({ host, port }) => ({ host, port })),
      clusterOptions(options),
    );
  } else {
    const settings = clientOptions(options);
    client = options.url === undefined ? new Redis(settings) : new Redis(options.url, settings);
  }
  let healthy = true;
  // Reconnection retries repeat the same error every attempt; one report per outage is enough.
  client.on("error", (error) => {
    if (healthy) onError(error);
    healthy = false;
  });
  client.on("ready", () => {
    healthy = true;
  });
  const settled = new Promise<void>((resolve) => {
    const done = () => {
      for (const event of ["ready", "error", "end"]) client.off(event, done);
      resolve();
    };
    for (const event of ["ready", "error", "end"]) client.on(event, done);
  });
  return { client, settled };
}

/** Waits out only the first connection attempt; after that, a connection that is down fails at once. */
async function usable({ client, settled }: Connection): Promise<Client> {
  await settled;
  if (client.status !== "ready") throw new Error(`redis unavailable (connection ${client.status})`);
  return client;
}

async function disconnect({ client }: Connection): Promise<void> {
  if (client.status === "ready") {
    try {
      await client.quit();
      return;
    } catch {
      // Lost while quitting: disconnecting below still stops the reconnection loop.
    }
  }
  client.disconnect();
}

/**
 * Redis over TCP (ElastiCache, any Redis 6+), shared by every replica. Commands fail fast while
 * Redis is unreachable and the client reconnects in the background. Subscriptions get their own
 * connection, opened on first use, since a subscribed RESP2 connection takes no other commands.
 *
 * On a Redis Cluster each command and script goes to its keys' slot's primary (a script's keys
 * must share a hash tag: the store says it is `clustered`); a script is loaded on each primary
 * the first time it runs there (NOSCRIPT, then EVAL on the same node), and messages published on
 * any node reach subscribers on every node.
 */
export function redisKv(options: RedisKvOptions): RedisKv {
  const onError = options.onError ?? ((error) => console.error(error));
  const main = connect(options, onError);
  // Pub/sub ignores SELECT: every database's subscribers hear a channel. Naming the database in
  // the channel (not on database 0, so its names stay as they were) keeps a Kv's messages within
  // its database, as its keys are: gateways on databases 5 and 9 never hear each other.
  const db = main.client instanceof Redis ? (main.client.options.db ?? 0) : 0;
  const onWire = (channel: string) => (db === 0 ? channel : `${channel}@db${db}`);
  let subscriber: Connection | undefined;
  let closed = false;
  const channels = new Map<
    string,
    { readonly handlers: Set<Handler>; readonly subscribed: Promise<unknown> }
  >();

  const openSubscriber = (): Connection => {
    if (subscriber !== undefined) return subscriber;
    if (closed) throw new Error("kv store is closed");
    const connection = connect(options, onError);
    connection.client.on("message", (channel: string, message: string) => {
      for (const handler of channels.get(channel)?.handlers ?? []) {
        try {
          handler(message);
        } catch (error) {
          onError(error);
        }
      }
    });
    subscriber = connection;
    return connection;
  };

  return {
    clustered: options.clusterNodes !== undefined,

    async get(key) {
      return (await usable(main)).get(key);
    },

    async set(key, value, ttlMs) {
      const client = await usable(main);
      // PX takes a positive integer only; the memory adapter rounds the same way.
      if (ttlMs === undefined) await client.set(key, value);
      else await client.set(key, value, "PX", Math.max(1, Math.ceil(ttlMs)));
    },

    async del(key) {
      await (await usable(main)).del(key);
    },

    async run<R>(
      script: KvScript<R>,
      keys: readonly string[],
      args: readonly (string | number)[],
    ): Promise<R> {
      const client = await usable(main);
      try {
        return script.parse(await client.evalsha(shaOf(script), keys.length, ...keys, ...args));
      } catch (error) {
        // Not cached on this server yet (first use, a restart, a failover): EVAL sends and caches it.
        if (!(error instanceof Error && error.message.startsWith("NOSCRIPT"))) throw error;
        return script.parse(await client.eval(script.lua, keys.length, ...keys, ...args));
      }
    },

    async publish(channel, message) {
      await (await usable(main)).publish(onWire(channel), message);
    },

    async subscribe(name, onMessage) {
      const channel = onWire(name);
      const connection = openSubscriber();
      const handler: Handler = (message) => onMessage(message);
      let entry = channels.get(channel);
      if (entry === undefined) {
        entry = {
          handlers: new Set(),
          subscribed: usable(connection).then((client) => client.subscribe(channel)),
        };
        channels.set(channel, entry);
      }
      const { handlers, subscribed } = entry;
      handlers.add(handler);
      const unsubscribe = async () => {
        if (!handlers.delete(handler) || handlers.size > 0) return;
        if (channels.get(channel)?.handlers === handlers) channels.delete(channel);
        await (await usable(connection)).unsubscribe(channel);
      };
      try {
        await subscribed;
      } catch (error) {
        handlers.delete(handler);
        if (handlers.size === 0 && channels.get(channel)?.handlers === handlers) channels.delete(channel);
        throw error;
      }
      return unsubscribe;
    },

    async ping(signal) {
      await abortable(
        usable(main).then((client) => client.ping()),
        signal,
      );
    },

    /** On a cluster: the first primary that risks the limiter's state, else any primary. */
    async memoryInfo(signal) {
      const infos = await abortable(
        usable(main).then((client) =>
          Promise.all(
            (client instanceof Cluster ? client.nodes("master") : [client]).map((server) =>
              server.info("memory"),
            ),
          ),
        ),
        signal,
      );
      const parsed = infos.map(parseMemoryInfo);
      const first = parsed.find((info) => evictionRisk(info) !== undefined) ?? parsed[0];
      if (first === undefined) throw new Error("redis cluster has no primary connected");
      return first;
    },

    async reachesClusterNode(signal) {
      const client = await abortable(usable(main), signal);
      if (client instanceof Cluster) return false;
      return /^cluster_enabled:1\s*$/m.test(await abortable(client.info("cluster"), signal));
    },

    async close() {
      closed = true;
      await Promise.all([disconnect(main), subscriber === undefined ? undefined : disconnect(subscriber)]);
    },
  };
}
