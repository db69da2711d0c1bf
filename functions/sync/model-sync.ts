import type { Env } from "../../shared/config/load";
import { decodeArtifact } from "../../shared/learned/artifact/decode";
import { routerPublicKey } from "../../shared/learned/artifact/public-key-env";
import { ARTIFACT_CHANNEL } from "../../shared/learned/serve/follower";
import type { Logger } from "../../shared/logging/logger";
import type { Kv } from "../../shared/store/kv/port";
import type { Sql } from "../../shared/store/sql/port";
import { ArtifactSync, ROUTING_MODEL } from "../../shared/sync/artifact-sync";
import type { Leadership } from "../../shared/sync/config-sync";
import { modelSourceFromEnv } from "./s3-env";

/**
 * The routing-model sync of every sync host (a gateway's loop, the sync worker, `npm run sync`):
 * `LLMROUTER_MODEL_S3_*` fetched by the leader, checked as the replicas will check it (format, and
 * the signature when LLMROUTER_MODEL_PUBLIC_KEY is set) before it is published, then announced.
 * Undefined when no model bucket is configured.
 */
export async function routingModelSync(options: {
  readonly env: Env;
  readonly sql: Sql;
  readonly kv: Kv | undefined;
  readonly leadership: Leadership;
  readonly logger: Logger;
  /** After a routing model is published, with its revision (a replica checks it at once). */
  readonly onPublished?: (revision: number) => void;
}): Promise<ArtifactSync | undefined> {
  const { env, kv, logger } = options;
  const source = modelSourceFromEnv(env);
  if (source === undefined) return undefined;
  const publicKey = await routerPublicKey(env);
  return new ArtifactSync({
    sql: options.sql,
    source,
    name: ROUTING_MODEL,
    leadership: options.leadership,
    logger,
    validate: async (body) => {
      await decodeArtifact(body, { publicKey });
    },
    onPublished: (revision) => {
      options.onPublished?.(revision);
      kv?.publish(ARTIFACT_CHANNEL, String(revision)).catch((error: unknown) =>
        logger.warn("could not announce the routing model; replicas pick it up by polling", {
          error: String(error),
        }),
      );
    },
  });
}
