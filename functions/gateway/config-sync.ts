import type { ConfigHolder } from "../../shared/config/config-holder";
import type { Env } from "../../shared/config/load";
import type { Logger } from "../../shared/logging/logger";
import type { Kv } from "../../shared/store/kv/port";
import type { Sql } from "../../shared/store/sql/port";
import { ConfigSync } from "../../shared/sync/config-sync";
import { parseElectionSettings } from "../../shared/sync/election-settings";
import { LeaderElection } from "../../shared/sync/leader-election";
import { REVISION_CHANNEL, RevisionFollower } from "../../shared/sync/revision-follower";
import { routingModelSync } from "../sync/model-sync";
import { configSourceFromEnv, modelSourceFromEnv } from "../sync/s3-env";

export interface SyncRuntime {
  /** The spec's status JSON plus what an operator needs. */
  status(): Record<string, unknown>;
  stop(): Promise<void>;
}

export const SYNC_DISABLED = Object.freeze({
  enabled: false,
  running: false,
  leader_election: Object.freeze({
    enabled: false,
    is_leader: false,
    holder_id: null,
    lease_expires_at: null,
    skipped_sync_count: 0,
  }),
});

/** A positive number of seconds from `env[name]`, else `fallback`; a bad value names the variable. */
export const seconds = (env: Env, name: string, fallback: number): number => {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`${name}: expected a positive number of seconds, got "${raw}"`);
  return value;
};

/**
 * Runs config sync from S3 inside a gateway replica when `CONFIG_S3_BUCKET` is set: replicas elect
 * one leader (when election is on), the leader fetches, validates and publishes a fenced revision
 * every `CONFIG_SYNC_INTERVAL` seconds, and every replica follows the published revisions (pub/sub
 * for instant pickup, polling as the fallback). Undefined when no S3 source is configured.
 */
export async function startConfigSync(options: {
  readonly env: Env;
  readonly sql: Sql;
  readonly kv: Kv;
  readonly holder: ConfigHolder;
  readonly logger: Logger;
  /** This replica's id in leases and on the replica roster. */
  readonly holderId: string;
  readonly onOutcome?: (outcome: string) => void;
  readonly onLeadership?: (isLeader: boolean) => void;
  /** Each routing-model run's outcome (published, invalid, ...), for a metric. */
  readonly onModelOutcome?: (outcome: string) => void;
  /** This replica published a routing model: it checks it at once, without waiting for the poll. */
  readonly onModelPublished?: (revision: number) => void;
}): Promise<SyncRuntime | undefined> {
  const { env, sql, kv, holder, logger } = options;
  const source = configSourceFromEnv(env);
  if (source === undefined) return undefined;
  const settings = parseElectionSettings(env);
  const intervalMs = seconds(env, "CONFIG_SYNC_INTERVAL", 60) * 1000;
  const pollMs = Math.min(intervalMs, seconds(env, "ROUTEIQ_CONFIG_REVISION_POLL_SECONDS", 5) * 1000);
  const election = settings.enabled
    ? new LeaderElection({
        sql,
        settings,
        holderId: options.holderId,
        logger,
        onChange: options.onLeadership,
      })
    : undefined;
  const follower = new RevisionFollower({ sql, holder, lockName: settings.lockName, env, logger });
  const check = () =>
    follower
      .check()
      .catch((error: unknown) => logger.warn("config revision check failed", { error: String(error) }));
  const sync = new ConfigSync({
    sql,
    source,
    leadership: election,
    holder,
    env,
    logger,
    onPublished: (revision) => {
      void check();
      kv.publish(REVISION_CHANNEL, String(revision)).catch((error: unknown) =>
        logger.warn("could not announce config revision; replicas pick it up by polling", {
          error: String(error),
        }),
      );
    },
  });

  const modelSource = modelSourceFromEnv(env);
  const models =
    election === undefined
      ? undefined
      : await routingModelSync({
          env,
          sql,
          kv,
          leadership: election,
          logger,
          onPublished: options.onModelPublished,
        });

  // A replica that starts later serves the latest published revision from the start.
  if (election !== undefined) await check();
  const unsubscribe = await kv.subscribe(REVISION_CHANNEL, () => void check()).catch(() => async () => {});
  election?.start();

  let stopped = false;
  let syncTimer: ReturnType<typeof setTimeout> | undefined;
  const loop = async () => {
    const outcome = await sync.runOnce();
    options.onOutcome?.(outcome);
    const modelOutcome = await models?.runOnce();
    if (modelOutcome !== undefined) options.onModelOutcome?.(modelOutcome);
    if (!stopped) syncTimer = setTimeout(loop, intervalMs).unref();
  };
  // The first run waits one renew interval when election is on, so a replica can win the lease first.
  syncTimer = setTimeout(loop, election === undefined ? 0 : settings.renewIntervalSeconds * 1000).unref();
  const pollTimer = election === undefined ? undefined : setInterval(check, pollMs).unref();

  return {
    status() {
      const s = sync.status;
      const lease = election?.status();
      return {
        enabled: true,
        running: !stopped,
        leader_election: {
          enabled: election !== undefined,
          is_leader: lease?.is_leader ?? false,
          holder_id: lease?.holder_id ?? null,
          lease_expires_at: lease?.lease_expires_at ?? null,
          skipped_sync_count: s.skippedSyncCount,
          fencing_token: lease?.fencing_token ?? null,
          lock_name: settings.lockName,
        },
        source: source.describe(),
        sync_interval_seconds: intervalMs / 1000,
        revision: holder.origin.revision,
        revision_source: holder.origin.source,
        revision_loaded_at: holder.origin.loadedAt.toISOString(),
        last_etag: s.lastEtag,
        last_sync_at: s.lastSyncAt,
        last_outcome: s.lastOutcome,
        last_error: s.lastError,
        routing_model:
          modelSource === undefined
            ? null
            : {
                source: modelSource.describe(),
                last_outcome: models?.lastOutcome ?? null,
                last_error: models?.lastError ?? null,
              },
      };
    },
    async stop() {
      stopped = true;
      clearTimeout(syncTimer);
      if (pollTimer !== undefined) clearInterval(pollTimer);
      await unsubscribe().catch(() => {});
      // Releasing the lease makes the handover immediate on a clean shutdown.
      await election?.stop();
    },
  };
}
