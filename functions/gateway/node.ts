import cluster from "node:cluster";
import { configWarningsOnce } from "../../shared/config/config-warnings";
import { ConfigError } from "../../shared/config/load";
import { processLogger } from "../../shared/logging/logger";
import { lazySecretsManagerReader } from "../aws/lazy-secrets-manager";
import { resolveSecretEnv } from "../aws/secrets-env";
import { readConfigFile } from "./config-file";
import { configPathFrom, parseNodeEnv } from "./env";
import { startNodeGateway } from "./server";
import { runPrimary, whyNotShared, workerCountFrom } from "./workers";

/**
 * `npm start`: the gateway as a Node process (containers, VMs, a laptop). `*_SECRET_ARN` variables
 * are resolved from Secrets Manager first, as on Lambda (the Fargate task); without them the
 * environment is used as it is. With `--num_workers N` / `NUM_WORKERS` and shared stores, this
 * process is the primary of N gateway workers on one port (workers.ts).
 */
const logger = processLogger(process.env);
try {
  const env = await resolveSecretEnv(process.env, lazySecretsManagerReader);
  const nodeEnv = parseNodeEnv(env);
  const configPath = configPathFrom(process.argv.slice(2), nodeEnv);
  const workers = cluster.isPrimary ? workerCountFrom(process.argv.slice(2), env) : 1;
  const notShared =
    workers > 1
      ? whyNotShared(nodeEnv, readConfigFile(configPath, env, configWarningsOnce(logger)))
      : undefined;
  if (notShared !== undefined)
    logger.warn("running one process instead of the workers asked for", { workers, reason: notShared });
  if (workers > 1 && notShared === undefined) runPrimary(workers, logger);
  else {
    const gateway = await startNodeGateway({ configPath, env, nodeEnv, logger });
    for (const signal of ["SIGTERM", "SIGINT"] as const) {
      // `on`, not `once`: a worker gets a terminal's SIGINT and its primary's copy; a second must not kill the drain.
      process.on(signal, () => {
        logger.info("signal received", { signal });
        void gateway.shutdown().then(() => process.exit(0));
      });
    }
  }
} catch (error) {
  if (error instanceof ConfigError) {
    logger.error("refusing to start: invalid config", { problems: error.problems });
    console.error(error.message);
  } else {
    logger.error("refusing to start", { error: error instanceof Error ? error.message : String(error) });
  }
  process.exit(1);
}
