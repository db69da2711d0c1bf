import { readFileSync } from "node:fs";

/**
 * What the bench reads about its targets from /proc: resident memory, and CPU time, which on a
 * machine shared with other work is steadier than throughput (a process's CPU per request does
 * not depend on how much of the machine it was given).
 */
/** Resident set of `pids` together (a cluster's primary and workers), in MB; NaN once all are gone. */
export function rssMb(pids: readonly number[]): number {
  let kb = 0;
  let found = false;
  for (const pid of pids) {
    try {
      const value = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
      if (value !== undefined) {
        kb += Number(value);
        found = true;
      }
    } catch {
      // Gone between listing and reading: it holds no memory any more.
    }
  }
  return found ? kb / 1024 : Number.NaN;
}

/** `pid` and its children (cluster workers), read from /proc. */
export function processTree(pid: number): number[] {
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/);
    return [pid, ...children.filter((c) => c !== "").flatMap((c) => processTree(Number(c)))];
  } catch {
    return [pid];
  }
}

/** User plus system CPU seconds `pids` have used so far (clock ticks at the usual 100 Hz). */
export function cpuSeconds(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      // Fields after the command name (which may hold spaces) start at ") "; utime, stime are 12th, 13th.
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // Gone: its time is no longer counted by anyone.
    }
  }
  return ticks / 100;
}
