import { withDeadline } from "../async/deadline";

/** A dependency readiness depends on (database, Redis, ...): resolves when healthy, throws when not. */
export interface ReadinessCheck {
  readonly name: string;
  check(signal: AbortSignal): Promise<void>;
  /**
   * Asked after a passing check: what about a healthy dependency an operator should fix (a Redis
   * eviction policy that can drop rate-limit state). Shown in the report, never failing readiness.
   */
  warning?(signal: AbortSignal): Promise<string | undefined>;
  /**
   * How long after its first failure this check may keep failing while the replica still serves
   * (the database, while keys are served from the stale window): readiness says `degraded`, not
   * `not_ready`. Unset or 0: not ready at once.
   */
  readonly graceMs?: () => number;
}

export interface ReadinessReport {
  readonly ready: boolean;
  readonly checks: Readonly<Record<string, "ok" | string>>;
  /** Only when a healthy check had something to say. */
  readonly warnings?: Readonly<Record<string, string>>;
}

const CHECK_TIMEOUT_MS = 2_000;

/** Runs every check in parallel, each bounded to 2 s; a slow dependency counts as a failed one. */
export async function runReadiness(checks: readonly ReadinessCheck[]): Promise<ReadinessReport> {
  const warnings: Record<string, string> = {};
  const results = await Promise.all(
    checks.map(async ({ name, check, warning }) => {
      try {
        const signal = AbortSignal.timeout(CHECK_TIMEOUT_MS);
        const said = await withDeadline(
          check(signal).then(() => warning?.(signal)),
          CHECK_TIMEOUT_MS,
          name,
        );
        if (said !== undefined) warnings[name] = said;
        return [name, "ok"] as const;
      } catch (error) {
        return [name, error instanceof Error ? error.message : String(error)] as const;
      }
    }),
  );
  const ready = results.every(([, status]) => status === "ok");
  const report = { ready, checks: Object.fromEntries(results) };
  return Object.keys(warnings).length === 0 ? report : { ...report, warnings };
}

export type ReadinessStatus = "ready" | "degraded" | "not_ready";

export interface ReadinessVerdict {
  readonly status: ReadinessStatus;
  readonly checks: Readonly<Record<string, "ok" | string>>;
  /** For each failing check still within its grace: when the grace ends (ISO 8601). */
  readonly degradedUntil: Readonly<Record<string, string>>;
  /** Only when a healthy check had something to say. */
  readonly warnings?: Readonly<Record<string, string>>;
}

/**
 * Readiness with memory: remembers since when each check has been failing, so a check with a
 * grace keeps the replica in the load balancer (degraded) until the grace has run out. Every
 * replica loses a shared database at the same moment; if all of them left the load balancer at
 * once while they could still serve, nothing would be served at all.
 */
export function readinessTracker(now: () => number = Date.now) {
  const failingSince = new Map<string, number>();
  return async function assess(checks: readonly ReadinessCheck[]): Promise<ReadinessVerdict> {
    const report = await runReadiness(checks);
    const at = now();
    let status: ReadinessStatus = "ready";
    const degradedUntil: Record<string, string> = {};
    for (const { name, graceMs } of checks) {
      if (report.checks[name] === "ok") {
        failingSince.delete(name);
        continue;
      }
      const since = failingSince.get(name) ?? at;
      failingSince.set(name, since);
      const until = since + (graceMs?.() ?? 0);
      if (at < until) {
        degradedUntil[name] = new Date(until).toISOString();
        if (status === "ready") status = "degraded";
      } else {
        status = "not_ready";
      }
    }
    const verdict = { status, checks: report.checks, degradedUntil };
    return report.warnings === undefined ? verdict : { ...verdict, warnings: report.warnings };
  };
}
