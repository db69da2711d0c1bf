import type { Logger } from "../../shared/logging/logger";
import type { ReplicaReport, ReplicaRoster } from "../../shared/sync/replica-roster";

/**
 * Reports this replica to the roster every `intervalMs` (a KV write every few seconds, whatever
 * the traffic), and takes it off the roster when it stops. A store that cannot be reached is
 * logged when it starts failing and when it recovers, not on every beat.
 */
export function startReplicaHeartbeat(options: {
  readonly roster: ReplicaRoster;
  readonly id: string;
  readonly report: () => Promise<ReplicaReport>;
  readonly intervalMs: number;
  readonly logger: Logger;
}): { stop(): Promise<void> } {
  const { roster, id, logger } = options;
  let stopped = false;
  let failing = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let beating: Promise<void> = Promise.resolve();
  const beat = async () => {
    try {
      await roster.report(id, await options.report());
      if (failing) logger.info("replica heartbeat recovered", { replica: id });
      failing = false;
    } catch (error) {
      if (!failing)
        logger.warn("replica heartbeat failed; the HA page may miss this replica", { error: String(error) });
      failing = true;
    }
    if (!stopped) timer = setTimeout(() => (beating = beat()), options.intervalMs).unref();
  };
  beating = beat();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await beating;
      await roster.leave(id).catch(() => {});
    },
  };
}
