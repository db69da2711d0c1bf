import { isMainThread, parentPort, workerData } from "node:worker_threads";
import { executor, openPglite } from "./pglite";
import type { SqlExecutor } from "./port";

type PGlite = Awaited<ReturnType<typeof openPglite>>;

/**
 * The worker-thread side of pglite-thread.ts: this module's own URL is the thread's entry, so it
 * runs the same whether the gateway runs from sources or from the bundle (where it is a chunk of
 * its own, loaded only by that dynamic import).
 */
export const workerUrl = import.meta.url;

export const WORKER_MARK = "routeiq-pglite-thread";

export type Request =
  | {
      readonly id: number;
      readonly op: "query";
      readonly text: string;
      readonly params: unknown[];
      readonly tx?: number;
    }
  | { readonly id: number; readonly op: "begin" }
  | { readonly id: number; readonly op: "end"; readonly tx: number; readonly commit: boolean }
  | { readonly id: number; readonly op: "close" };

export type Reply =
  | { readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly id: number; readonly ok: false; readonly message: string; readonly code?: string };

interface OpenTransaction {
  readonly tx: SqlExecutor;
  readonly end: (commit: boolean) => void;
  /** Settles once PGlite has committed (resolves) or rolled back (rejects). */
  readonly settled: Promise<void>;
}

const ROLLBACK = new Error("rolled back by the caller");

function serve(db: PGlite): void {
  const port = parentPort;
  if (port === null) return;
  const direct = executor(db);
  const transactions = new Map<number, OpenTransaction>();
  let nextTx = 1;
  const reply = (message: Reply) => port.postMessage(message);
  const fail = (id: number, error: unknown) => {
    const code = (error as { code?: unknown }).code;
    reply({
      id,
      ok: false,
      message: error instanceof Error ? error.message : String(error),
      ...(typeof code === "string" ? { code } : {}),
    });
  };

  const begin = (requestId: number) => {
    const id = nextTx++;
    let opened = false;
    let open: ((tx: SqlExecutor, end: (commit: boolean) => void) => void) | undefined;
    // PGlite holds every other query until this callback settles: transactions never interleave.
    const settled = db
      .transaction(
        (tx) =>
          new Promise<void>((resolve, reject) => {
            opened = true;
            open?.(executor(tx), (commit) => (commit ? resolve() : reject(ROLLBACK)));
          }),
      )
      .finally(() => transactions.delete(id));
    open = (tx, end) => {
      transactions.set(id, { tx, end, settled });
      reply({ id: requestId, ok: true, value: id });
    };
    // A BEGIN that fails never reaches the callback: its caller hears of it here.
    settled.catch((error: unknown) => {
      if (!opened) fail(requestId, error);
    });
  };

  const end = (requestId: number, txId: number, commit: boolean) => {
    const open = transactions.get(txId);
    if (open === undefined) {
      fail(requestId, new Error(`transaction ${txId} is not open`));
      return;
    }
    open.end(commit);
    open.settled.then(
      () => reply({ id: requestId, ok: true, value: undefined }),
      (error: unknown) =>
        error === ROLLBACK ? reply({ id: requestId, ok: true, value: undefined }) : fail(requestId, error),
    );
  };

  port.on("message", (request: Request) => {
    switch (request.op) {
      case "query": {
        const target = request.tx === undefined ? direct : transactions.get(request.tx)?.tx;
        if (target === undefined) {
          fail(request.id, new Error(`transaction ${request.tx} is not open`));
          return;
        }
        target.query(request.text, request.params).then(
          (value) => reply({ id: request.id, ok: true, value }),
          (error: unknown) => fail(request.id, error),
        );
        return;
      }
      case "begin":
        begin(request.id);
        return;
      case "end":
        end(request.id, request.tx, request.commit);
        return;
      case "close":
        db.close().then(
          () => reply({ id: request.id, ok: true, value: undefined }),
          (error: unknown) => fail(request.id, error),
        );
        return;
    }
  });
  port.postMessage({ ready: true });
}

if (!isMainThread && (workerData as { mark?: string } | undefined)?.mark === WORKER_MARK) {
  const { dataDir, initOnly } = workerData as { dataDir?: string; initOnly?: boolean };
  const ready = async (db: PGlite) => {
    if (!initOnly) return serve(db);
    await db.close();
    parentPort?.postMessage({ ready: true });
  };
  openPglite({ dataDir })
    .then(ready)
    .catch((error: unknown) => {
      parentPort?.postMessage({
        ready: false,
        message: error instanceof Error ? error.message : String(error),
      });
    });
}
