import { unrefTimer } from "../async/unref-timer";
import type { Logger } from "../logging/logger";
import { maintainSpendLogs, type SpendLogMaintenanceOptions } from "./log-maintenance";

export interface SpendLogMaintenanceLoop {
  /** Runs once now (tests, shutdown-free one-shot callers); resolves when that run ends. */
  runNow(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Runs the spend log maintenance at start and then every `intervalMs` (default an hour) in a
 * long-lived process (a gateway, the sync worker loop). A failed run is logged and retried at the
 * next tick; partitions are made days ahead, so a few missed runs lose nothing.
 */
export function startSpendLogMaintenance(
  options: Omit<SpendLogMaintenanceOptions, "retention"> & {
    readonly retention: () => string | undefined;
    readonly logger: Logger;
    readonly intervalMs?: number;
  },
): SpendLogMaintenanceLoop {
  const { logger } = options;
  let stopped = false;
  let running: Promise<void> | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const run = async () => {
    try {
      const result = await maintainSpendLogs({ ...options, retention: options.retention() });
      if (result.outcome === "done" && (result.created > 0 || result.dropped.length > 0)) {
        logger.info("spend log partitions maintained", { created: result.created, dropped: result.dropped });
      }
    } catch (error) {
      logger.warn("spend log maintenance failed; it runs again later", {
        error: error instanceof Error ? error.message : String(error),
      });
    }
  };
  const tick = () => {
    running = run().finally(() => {
      running = undefined;
      if (!stopped) timer = unrefTimer(setTimeout(tick, options.intervalMs ?? 3_600_000));
    });
  };
  tick();
  return {
    async runNow() {
      await running;
      await run();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
