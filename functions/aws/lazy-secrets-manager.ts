import type { SecretReader } from "./secrets-env";

/**
 * Secrets Manager, loaded on the first read: a Node process whose environment names no secret
 * (compose, Kubernetes, a laptop) never evaluates the AWS SDK.
 */
export function lazySecretsManagerReader(): SecretReader {
  let reader: Promise<SecretReader> | undefined;
  return {
    async read(secretId) {
      reader ??= import("./secrets-manager").then(({ secretsManagerReader }) => secretsManagerReader());
      return (await reader).read(secretId);
    },
  };
}
