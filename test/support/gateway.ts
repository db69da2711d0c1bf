import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { parseNodeEnv } from "../../functions/gateway/env";
import { type NodeGateway, startNodeGateway } from "../../functions/gateway/server";
import { type Logger, silentLogger } from "../../shared/logging/logger";
import { prometheusMetrics } from "../../shared/metrics/prometheus";
import { createTestSchema } from "./postgres";

export const MASTER_KEY = "sk-test-master";

/**
 * Writes a config (object → YAML) to a temp file and serves it in-process on a free port. Each
 * gateway gets its own schema in the machine's PostgreSQL (fast to create, unlike an embedded
 * database per gateway) unless the test passes DATABASE_URL itself.
 */
export async function startGateway(
  config: Record<string, unknown>,
  env: Record<string, string | undefined> = {},
  { logger = silentLogger }: { readonly logger?: Logger } = {},
): Promise<NodeGateway & { configPath: string }> {
  const dir = mkdtempSync(join(tmpdir(), "routeiq-test-"));
  const configPath = join(dir, "config.yaml");
  writeFileSync(configPath, stringify({ general_settings: { master_key: MASTER_KEY }, ...config }));
  const schema = env.DATABASE_URL === undefined ? await createTestSchema("gw") : undefined;
  const gateway = await startNodeGateway({
    configPath,
    env,
    // Each gateway gets its own embedded database unless the test points it at a shared one.
    nodeEnv: parseNodeEnv({
      PORT: "0",
      HOST: "127.0.0.1",
      ROUTEIQ_DRAIN_TIMEOUT_SECONDS: "5",
      ROUTEIQ_DATA_DIR: dir,
      DATABASE_URL: schema?.url,
      ...env,
    }),
    logger,
    metrics: prometheusMetrics({ defaultMetrics: false }),
  });
  return {
    ...gateway,
    configPath,
    async shutdown() {
      await gateway.shutdown();
      await schema?.drop();
    },
  };
}
