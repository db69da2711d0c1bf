import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { SecretReader } from "./secrets-env";

/** Secrets Manager as a SecretReader; region and credentials come from the Lambda's environment. */
export function secretsManagerReader(client = new SecretsManagerClient({})): SecretReader {
  return {
    async read(secretId) {
      const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
      if (SecretString === undefined)
        throw new Error("the secret has no string value (binary secrets are not supported)");
      return SecretString;
    },
  };
}
