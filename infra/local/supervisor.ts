import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { emit, relay } from "./events";

export interface ChildSpec {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Shown in `started` events, so a test can reach the child directly. */
  readonly port?: number;
}

interface Supervised {
  child: ChildProcess;
  startedAt: number;
  exited: Promise<void>;
  /** No restart once the runner asked it to stop. */
  stopping: boolean;
  restartTimer?: ReturnType<typeof setTimeout>;
  backoffMs: number;
}

/** A child that ran this long before dying is restarted after the base backoff again. */
const STABLE_AFTER_MS = 10_000;
const MAX_BACKOFF_MS = 10_000;

/** Starts one process, relays its output line by line, and resolves `exited` when it is gone. */
function launch(spec: ChildSpec): {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: string | null }>;
} {
  // Its own process group: a terminal's Ctrl-C reaches only the runner, which stops children in order.
  const child = spawn(spec.command, [...spec.args], {
    env: spec.env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  for (const stream of [child.stdout, child.stderr]) {
    if (stream !== null) createInterface({ input: stream }).on("line", (line) => relay(spec.name, line));
  }
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
    child.once("error", (error) => {
      // A command that cannot be spawned never emits "exit".
      if (child.pid === undefined) resolve({ code: null, signal: null });
      emit({ event: "error", name: spec.name, error: error.message });
    });
    child.once("exit", (code, signal) => resolve({ code, signal }));
  });
  return { child, exited };
}

/**
 * Kills what is left of a child's process group (it leads one: it was spawned detached). nginx
 * workers outlive a master killed with -9 and keep its port, so a restart could never bind.
 */
function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // Nothing left in the group.
  }
}

/** Runs `spec` to completion (the migration): resolves to its exit code. */
export async function runOnce(spec: ChildSpec): Promise<number | null> {
  const { child, exited } = launch(spec);
  emit({ event: "started", name: spec.name, pid: child.pid ?? null });
  const { code, signal } = await exited;
  emit({ event: "exited", name: spec.name, pid: child.pid ?? null, code, signal, expected: true });
  return code;
}

/**
 * Keeps long-running children up: one that exits without being asked to (a crash, kill -9) is
 * restarted after a backoff that doubles while it keeps dying young.
 */
export class Supervisor {
  readonly #children = new Map<string, Supervised>();
  readonly #baseBackoffMs: number;
  #closed = false;

  constructor(baseBackoffMs: number) {
    this.#baseBackoffMs = baseBackoffMs;
  }

  start(spec: ChildSpec): void {
    // A shutdown that began while the runner was still starting up wins.
    if (this.#closed) return;
    const { child, exited } = launch(spec);
    const entry: Supervised = this.#children.get(spec.name) ?? {
      child,
      startedAt: Date.now(),
      exited: Promise.resolve(),
      stopping: false,
      backoffMs: this.#baseBackoffMs,
    };
    entry.child = child;
    entry.startedAt = Date.now();
    this.#children.set(spec.name, entry);
    emit({ event: "started", name: spec.name, pid: child.pid ?? null, port: spec.port });
    entry.exited = exited.then(({ code, signal }) => {
      const expected = entry.stopping;
      killGroup(child.pid);
      emit({ event: "exited", name: spec.name, pid: child.pid ?? null, code, signal, expected });
      if (expected) return;
      const ranMs = Date.now() - entry.startedAt;
      entry.backoffMs = ranMs >= STABLE_AFTER_MS ? this.#baseBackoffMs : entry.backoffMs;
      const delayMs = entry.backoffMs;
      entry.backoffMs = Math.min(Math.max(entry.backoffMs * 2, 100), MAX_BACKOFF_MS);
      emit({ event: "restarting", name: spec.name, in_ms: delayMs });
      entry.restartTimer = setTimeout(() => {
        entry.restartTimer = undefined;
        if (!entry.stopping) this.start(spec);
      }, delayMs);
    });
  }

  /** From now on nothing starts or restarts; `stop` then ends what runs. */
  close(): void {
    this.#closed = true;
    for (const entry of this.#children.values()) {
      entry.stopping = true;
      clearTimeout(entry.restartTimer);
    }
  }

  /** The pids of the children currently running, by name. */
  pids(): Record<string, number | undefined> {
    return Object.fromEntries([...this.#children].map(([name, entry]) => [name, entry.child.pid]));
  }

  /**
   * Sends `signal` to each named child (no restart after), waits for it to exit, and kills it
   * outright once `timeoutMs` has passed.
   */
  async stop(names: readonly string[], signal: NodeJS.Signals, timeoutMs: number): Promise<void> {
    await Promise.all(
      names.map(async (name) => {
        const entry = this.#children.get(name);
        if (entry === undefined) return;
        entry.stopping = true;
        clearTimeout(entry.restartTimer);
        const { child } = entry;
        if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
        child.kill(signal);
        const timer = setTimeout(() => {
          emit({ event: "stop-timeout", name, pid: child.pid, after_ms: timeoutMs });
          killGroup(child.pid);
        }, timeoutMs);
        await entry.exited;
        clearTimeout(timer);
      }),
    );
  }
}
