import { ConfigError } from "../../shared/config/load";
import { processLogger } from "../../shared/logging/logger";
import { lazySecretsManagerReader } from "../aws/lazy-secrets-manager";
import { resolveSecretEnv } from "../aws/secrets-env";
import { configPathFrom, parseNodeEnv } from "./env";
import { startNodeGateway } from "./server";

/**
 * `npm start`: the gateway as a Node process (containers, VMs, a laptop). `*_SECRET_ARN` variables
 * are resolved from Secrets Manager first, as on Lambda (the Fargate task); without them the
 * environment is used as it is.
 */
const logger = processLogger(process.env);
try {
  const env = await resolveSecretEnv(process.env, lazySecretsManagerReader);
  const nodeEnv = parseNodeEnv(env);
  const gateway = await startNodeGateway({
    configPath: configPathFrom(process.argv.slice(2), nodeEnv),
    env,
    nodeEnv,
    logger,
  });
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.once(signal, () => {
      logger.info("signal received", { signal });
      void gateway.shutdown().then(() => process.exit(0));
    });
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
