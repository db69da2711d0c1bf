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
