import { withDeadline } from "../../shared/async/deadline";
import type { Logger } from "../../shared/logging/logger";

export interface RevisionPoll {
  /**
   * Checks for a newer revision when `intervalMs` has passed since the last check; never throws.
   * `keepAlive` is handed the check itself, for a runtime that would cancel a check this invoke
   * stops waiting for (a Worker's `ctx.waitUntil`): it then still completes for the next one.
   */
  beforeInvoke(keepAlive?: (check: Promise<void>) => void): Promise<void>;
  /** Epoch ms of the last check started, if any. */
  readonly lastCheckAt: number | undefined;
}

/**
 * Published config revisions for a runtime whose timers stop between requests (a frozen Lambda
 * container): instead of a background poll, the invoke that finds the last check older than
 * `intervalMs` makes one, waiting at most `budgetMs`. A slow check is left running (the follower
 * shares it with the next caller) and this request is served on the config in force.
 */
export function revisionPoll(options: {
  readonly check: () => Promise<void>;
  readonly intervalMs: number;
  readonly budgetMs: number;
  readonly logger: Logger;
  readonly now?: () => number;
  /** What is checked, and what keeps serving when a check fails, for the log. */
  readonly what?: { readonly checked: string; readonly serving: string };
}): RevisionPoll {
  const what = options.what ?? { checked: "config revision", serving: "the current config" };
  const now = options.now ?? Date.now;
  let lastCheckAt: number | undefined;
  return {
    get lastCheckAt() {
      return lastCheckAt;
    },
    async beforeInvoke(keepAlive) {
      const at = now();
      if (lastCheckAt !== undefined && at - lastCheckAt < options.intervalMs) return;
      // Counted from the start, so a database that is down costs one bounded wait per interval.
      lastCheckAt = at;
      const check = options.check();
      keepAlive?.(check.catch(() => {}));
      await withDeadline(check, options.budgetMs, `${what.checked} check`).catch((error: unknown) =>
        options.logger.warn(`${what.checked} check failed; serving ${what.serving}`, {
          error: error instanceof Error ? error.message : String(error),
        }),
      );
    },
  };
}
