/**
 * What the bench must undo however it ends (done, failed, Ctrl-C, SIGTERM): its child processes,
 * its PostgreSQL schemas and its temp directories. Each is registered when it is made and undone in
 * reverse order, so a process is stopped before the schema it writes to is dropped and the
 * directory holding its data is removed.
 */
type Task = () => Promise<void> | void;

interface Entry {
  readonly what: string;
  readonly task: Task;
  done?: Promise<void>;
}

/** One task that hangs (an unreachable database) must not keep the rest, or the exit, waiting. */
const TASK_TIMEOUT_MS = 10_000;
const entries: Entry[] = [];

function run(entry: Entry): Promise<void> {
  entry.done ??= (async () => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`not done within ${TASK_TIMEOUT_MS} ms`)), TASK_TIMEOUT_MS);
    });
    try {
      await Promise.race([Promise.resolve().then(entry.task), timeout]);
    } catch (error) {
      console.error(
        `bench cleanup: ${entry.what} left behind (${error instanceof Error ? error.message : String(error)})`,
      );
    } finally {
      clearTimeout(timer);
      const index = entries.indexOf(entry);
      if (index >= 0) entries.splice(index, 1);
    }
  })();
  return entry.done;
}

/** Registers `task` to undo `what`; the function returned undoes it now (once), for the happy path. */
export function onCleanup(what: string, task: Task): () => Promise<void> {
  const entry: Entry = { what, task };
  entries.push(entry);
  return () => run(entry);
}

/** Undoes everything still registered, newest first; a failure is reported and the rest go on. */
export async function cleanUp(): Promise<void> {
  while (entries.length > 0) await run(entries.at(-1) as Entry);
}

let exiting: Promise<never> | undefined;

/** Cleans up, then exits with `code`. Called again (a second Ctrl-C), it waits for the first. */
export function exitAfterCleanUp(code: number): Promise<never> {
  exiting ??= cleanUp().then(() => process.exit(code));
  return exiting;
}

/**
 * SIGINT and SIGTERM clean up and exit 130 / 143 after `first` (stop what is in flight). A signal
 * arriving during the cleanup is ignored: npm and tsx pass a terminal's Ctrl-C on to this process
 * too, so one Ctrl-C can arrive twice, and the default action would end it half cleaned.
 */
export function cleanUpOnSignals(first: () => void = () => {}): void {
  for (const [signal, code] of [
    ["SIGINT", 130],
    ["SIGTERM", 143],
  ] as const) {
    process.on(signal, () => {
      first();
      void exitAfterCleanUp(code);
    });
  }
}
