import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { lazySecretsManagerReader } from "../aws/lazy-secrets-manager";
import { lambdaGateway } from "./lambda-gateway";

/**
 * The gateway on AWS Lambda behind an ALB (`index.handler` in dist/lambda/gateway, beside its
 * config/config.yaml). Nothing runs until the first invoke: see lambda-gateway.ts.
 */
export const handler = lambdaGateway({
  env: process.env,
  secrets: () => lazySecretsManagerReader(),
  taskRoot: dirname(fileURLToPath(import.meta.url)),
});
