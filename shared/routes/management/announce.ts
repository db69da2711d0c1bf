import type { Context } from "hono";
import type { GatewayEnv } from "../../http/env";
import type { SubjectScope } from "../../limits/subject";

/**
 * Tells replicas to drop cached copies of changed keys. The change is already committed, so a
 * failed announcement is logged rather than failing the request: caches then expire on their TTL.
 */
export async function announceKeyChanges(
  c: Context<GatewayEnv>,
  keyHashes: readonly string[],
): Promise<void> {
  if (keyHashes.length === 0) return;
  try {
    await c.get("deps").keyEvents.changed(keyHashes);
  } catch (error) {
    c.get("deps").logger.warn("announcing key changes failed; replicas keep cached keys until their TTL", {
      keys: keyHashes.length,
      error: error instanceof Error ? error.message : String(error),
    });
  }
}

/**
 * An operator set spend in Postgres: the live counters (which keep the larger of theirs and
 * Postgres's) are dropped so they start again from it. Logged, not failed, like announcements.
 */
export async function resetLiveSpend(
  c: Context<GatewayEnv>,
  subjects: ReadonlyArray<{ readonly scope: SubjectScope; readonly id: string }>,
): Promise<void> {
  try {
    await c.get("deps").limiter.resetSpend(subjects);
  } catch (error) {
    c.get("deps").logger.warn("resetting live spend failed; the limiter keeps counting from its own figure", {
      subjects: subjects.length,
      error: error instanceof Error ? error.message : String(error),
    });
  }
}
