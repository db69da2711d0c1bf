import { readdir, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { abortable } from "../abortable";
import type { PgliteSqlOptions } from "./pglite";
import type { Reply, Request } from "./pglite-thread-worker";
import type { QueryResult, Sql, SqlExecutor } from "./port";

type WithoutId<T> = T extends unknown ? Omit<T, "id"> : never;
type Pending = { resolve: (value: unknown) => void; reject: (error: Error) => void };

/** The database's error as the in-process adapter would throw it: its message and its SQLSTATE. */
function toError(reply: Extract<Reply, { ok: false }>): Error {
  const error = new Error(reply.message) as Error & { code?: string };
  if (reply.code !== undefined) error.code = reply.code;
  return error;
}

/**
 * The embedded database on a worker thread of its own: PGlite runs PostgreSQL compiled to WASM,
 * and every statement it runs (the spend log's batches above all) would otherwise take the event
 * loop from the requests being proxied. Same semantics as pgliteSql: one connection, transactions
 * never interleave (the thread's PGlite queues other statements behind an open one).
 */
export async function pgliteThreadSql(options: PgliteSqlOptions = {}): Promise<Sql> {
  const { workerUrl, WORKER_MARK } = await import("./pglite-thread-worker");
  const start = async (dataDir: string | undefined, initOnly: boolean) => {
    // From sources the entry is TypeScript, and a loader given with --import does not reach a
    // thread under every runner (vitest's workers): the thread registers tsx itself then.
    const workerData = { mark: WORKER_MARK, dataDir, initOnly };
    const thread = workerUrl.endsWith(".ts")
      ? new Worker(
          `import("tsx/esm/api").then(({ register }) => { register(); return import(${JSON.stringify(workerUrl)}); });`,
          { eval: true, workerData },
        )
      : new Worker(new URL(workerUrl), { workerData });
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      thread.once("error", onError);
      thread.once("message", (message: { ready: boolean; message?: string }) => {
        thread.off("error", onError);
        if (message.ready) resolve();
        else reject(new Error(message.message));
      });
    }).catch(async (error: unknown) => {
      await thread.terminate();
      throw error;
    });
    return thread;
  };
  // Creating a cluster (initdb) takes several hundred MB of WASM memory that is never given back:
  // a first start creates it on a thread of its own that then ends, and the gateway's thread
  // opens the result as it would on any later start. It is made beside the data directory and
  // moved into place whole, so a start killed half way leaves no half-made cluster to open later.
  // (In memory there is nothing to carry over: the one thread creates and serves it.)
  if (options.dataDir !== undefined && !(await holdsCluster(options.dataDir))) {
    const dataDir = options.dataDir;
    const notADatabase = (cause?: unknown) =>
      new Error(`${dataDir} exists and holds no database: remove it to start afresh`, { cause });
    if ((await readdir(dataDir).catch(() => [])).length > 0) throw notADatabase();
    const staging = `${dataDir}.creating-${process.pid}`;
    await rm(staging, { recursive: true, force: true });
    try {
      await (await start(staging, true)).terminate();
      await rename(staging, dataDir).catch(async (error: unknown) => {
        // Another process made it first: its cluster is the one to open.
        if (!(await holdsCluster(dataDir))) throw notADatabase(error);
      });
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }
  const worker = await start(options.dataDir, false);
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let failure: Error | undefined;

  const failAll = (error: Error) => {
    failure ??= error;
    for (const { reject } of pending.values()) reject(error);
    pending.clear();
  };
  worker.on("message", (reply: Reply) => {
    const waiting = pending.get(reply.id);
    if (waiting === undefined) return;
    pending.delete(reply.id);
    if (reply.ok) waiting.resolve(reply.value);
    else waiting.reject(toError(reply));
  });
  worker.on("error", failAll);
  worker.on("exit", (code) => failAll(new Error(`the embedded database's thread exited (code ${code})`)));

  const call = <T>(request: WithoutId<Request>): Promise<T> => {
    if (failure !== undefined) return Promise.reject(failure);
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      worker.postMessage({ ...request, id });
    });
  };
  const executorFor = (tx?: number): SqlExecutor => ({
    query: <Row>(text: string, params: readonly unknown[] = []) =>
      call<QueryResult<Row>>({ op: "query", text, params: [...params], ...(tx === undefined ? {} : { tx }) }),
  });

  return {
    ...executorFor(),
    async transaction(work) {
      const tx = await call<number>({ op: "begin" });
      let result: Awaited<ReturnType<typeof work>>;
      try {
        result = await work(executorFor(tx));
      } catch (error) {
        await call({ op: "end", tx, commit: false }).catch(() => {});
        throw error;
      }
      await call({ op: "end", tx, commit: true });
      return result;
    },
    async ping(signal?: AbortSignal): Promise<void> {
      await abortable(call({ op: "query", text: "SELECT 1", params: [] }), signal);
    },
    async close() {
      if (failure === undefined) await call({ op: "close" });
      await worker.terminate();
    },
  };
}

/** Whether `dataDir` holds a PostgreSQL cluster (initdb writes PG_VERSION). */
const holdsCluster = (dataDir: string): Promise<boolean> =>
  stat(join(dataDir, "PG_VERSION")).then(
    () => true,
    () => false,
  );
