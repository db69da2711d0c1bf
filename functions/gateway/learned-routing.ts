import { readFileSync } from "node:fs";
import { loadArtifact } from "../../shared/learned/serve/follower";
import type { LearnedRouting } from "../../shared/learned/serve/module";
import type { Logger } from "../../shared/logging/logger";
import type { Kv } from "../../shared/store/kv/port";

export interface LearnedRoutingRuntime {
  stop(): Promise<void>;
}

/**
 * Serves routing models on a Node replica: LLMROUTER_MODEL_PATH (a local file) at start, then
 * every model the sync leader publishes, picked up when it is announced (pub/sub) or by polling.
 */
export async function startLearnedRouting(options: {
  readonly learned: LearnedRouting;
  readonly kv: Kv;
  readonly modelPath: string | undefined;
  readonly pollSeconds: number;
  readonly logger: Logger;
}): Promise<LearnedRoutingRuntime> {
  const { learned, logger } = options;
  if (options.modelPath !== undefined) {
    let body: Uint8Array;
    try {
      body = readFileSync(options.modelPath);
    } catch (error) {
      throw new Error(`LLMROUTER_MODEL_PATH: cannot read ${options.modelPath} (${(error as Error).message})`);
    }
    await loadArtifact(learned.loading, body, { revision: 0, source: `file ${options.modelPath}` });
  }
  const check = () =>
    learned.follower
      .check()
      .catch((error: unknown) => logger.warn("routing model check failed", { error: String(error) }));
  await check();
  const unsubscribe = await options.kv
    .subscribe(learned.channel, () => void check())
    .catch(() => async () => {});
  const timer = setInterval(check, options.pollSeconds * 1000).unref();
  return {
    async stop() {
      clearInterval(timer);
      await unsubscribe().catch(() => {});
    },
  };
}
