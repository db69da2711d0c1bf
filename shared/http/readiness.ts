import { withDeadline } from "../async/deadline";

/** A dependency readiness depends on (database, Redis, ...): resolves when healthy, throws when not. */
export interface ReadinessCheck {
  readonly name: string;
  check(signal: AbortSignal): Promise<void>;
}

export interface ReadinessReport {
  readonly ready: boolean;
  readonly checks: Readonly<Record<string, "ok" | string>>;
}

const CHECK_TIMEOUT_MS = 2_000;

/** Runs every check in parallel, each bounded to 2 s; a slow dependency counts as a failed one. */
export async function runReadiness(checks: readonly ReadinessCheck[]): Promise<ReadinessReport> {
  const results = await Promise.all(
    checks.map(async ({ name, check }) => {
      try {
        await withDeadline(check(AbortSignal.timeout(CHECK_TIMEOUT_MS)), CHECK_TIMEOUT_MS, name);
        return [name, "ok"] as const;
      } catch (error) {
        return [name, error instanceof Error ? error.message : String(error)] as const;
      }
    }),
  );
  return { ready: results.every(([, status]) => status === "ok"), checks: Object.fromEntries(results) };
}
