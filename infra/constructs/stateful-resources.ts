import * as iam from "aws-cdk-lib/aws-iam";
import type * as rds from "aws-cdk-lib/aws-rds";
import type * as s3 from "aws-cdk-lib/aws-s3";
import type * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";

/** What compute needs from the data stack: where the stores are and which secrets open them. */
export interface StatefulResources {
  /** The RDS instance, which the Lambda deployment's proxy fronts. */
  readonly databaseInstance: rds.DatabaseInstance;
  /** The master user's RDS JSON secret (username, password, host, port, dbname): the migration only. */
  readonly databaseOwnerSecret: secretsmanager.ISecret;
  /** `{username, password}` of the gateway's and the sync's login roles, which the migration sets up. */
  readonly databaseRoleSecrets: {
    readonly gateway: secretsmanager.ISecret;
    readonly sync: secretsmanager.ISecret;
  };
  /** Where the gateway and sync connect: the instance, or on Lambda the proxy (gateway-stack.ts). */
  readonly databaseHost: string;
  readonly databasePort: string;
  readonly databaseName: string;
  readonly redisHost: string;
  readonly redisPort: string;
  /** Plain-string AUTH token. */
  readonly redisAuthSecret: secretsmanager.ISecret;
  /** Plain-string master key. */
  readonly masterKeySecret: secretsmanager.ISecret;
  /** JSON object of variable name → value: the provider API keys configs reference (os.environ/NAME). */
  readonly providerKeysSecret: secretsmanager.ISecret;
  readonly bucket: s3.IBucket;
  readonly configKey: string;
  /** Unset: no routing model is synced. */
  readonly routingModelKey?: string;
}

/**
 * The Lambda runtime's CA bundle, which includes the RDS certificate authorities, so `pg` can verify
 * the database's certificate (sslmode verify-full).
 */
const LAMBDA_CA_BUNDLE = "/var/runtime/ca-cert.pem";

/** Where PostgreSQL and Redis are, for every process that opens them (no secrets here). */
export function storeEnvironment(stores: StatefulResources): Record<string, string> {
  return {
    DATABASE_HOST: stores.databaseHost,
    DATABASE_PORT: stores.databasePort,
    DATABASE_NAME: stores.databaseName,
    REDIS_HOST: stores.redisHost,
    REDIS_PORT: stores.redisPort,
    REDIS_TLS: "true",
    // Migrations run once per deploy (the migration trigger), never in every replica at start.
    LITELLM_RUN_DB_MIGRATIONS: "false",
  };
}

/** Where the config and routing model live, and the spec's leader-election defaults. */
export function syncEnvironment(stores: StatefulResources): Record<string, string> {
  return {
    CONFIG_S3_BUCKET: stores.bucket.bucketName,
    CONFIG_S3_KEY: stores.configKey,
    ...(stores.routingModelKey === undefined
      ? {}
      : {
          LLMROUTER_MODEL_S3_BUCKET: stores.bucket.bucketName,
          LLMROUTER_MODEL_S3_KEY: stores.routingModelKey,
        }),
    LLMROUTER_CONFIG_SYNC_LEADER_ELECTION_ENABLED: "true",
    LLMROUTER_CONFIG_SYNC_LEASE_SECONDS: "30",
    LLMROUTER_CONFIG_SYNC_RENEW_INTERVAL_SECONDS: "10",
    LLMROUTER_CONFIG_SYNC_LOCK_NAME: "config_sync",
  };
}

/**
 * What each process reads itself. Each connects to PostgreSQL as its own role: the migration as
 * the master user, which owns the schema, and it alone reads the role secrets, to set the roles'
 * passwords. The sync gets no master key but the provider keys, since a config whose
 * `os.environ/NAME` is unset fails validation and is not published.
 */
const ACCESS = Object.freeze({
  gateway: { database: "gateway", redis: true, masterKey: true, providerKeys: true, bucket: true },
  sync: { database: "sync", redis: true, masterKey: false, providerKeys: true, bucket: true },
  migrate: { database: "owner", redis: false, masterKey: false, providerKeys: false, bucket: false },
} as const satisfies Record<
  string,
  {
    database: "owner" | "gateway" | "sync";
    redis: boolean;
    masterKey: boolean;
    providerKeys: boolean;
    bucket: boolean;
  }
>);

const databaseSecretOf = (stores: StatefulResources, client: StoreClient) => {
  const role = ACCESS[client].database;
  return role === "owner" ? stores.databaseOwnerSecret : stores.databaseRoleSecrets[role];
};

export type StoreClient = keyof typeof ACCESS;

/**
 * Secrets by ARN, which each process resolves itself at start (functions/aws/secrets-env.ts), the
 * Lambda handlers and the Node gateway alike.
 */
export function secretEnvironment(stores: StatefulResources, client: StoreClient): Record<string, string> {
  const access = ACCESS[client];
  return {
    DATABASE_SECRET_ARN: databaseSecretOf(stores, client).secretArn,
    ...(access.redis ? { REDIS_PASSWORD_SECRET_ARN: stores.redisAuthSecret.secretArn } : {}),
    ...(access.masterKey ? { LITELLM_MASTER_KEY_SECRET_ARN: stores.masterKeySecret.secretArn } : {}),
    ...(access.providerKeys ? { ROUTEIQ_ENV_SECRET_ARN: stores.providerKeysSecret.secretArn } : {}),
  };
}

/** secretEnvironment, with the CA bundle that lets a Lambda verify the database's certificate. */
export function lambdaSecretEnvironment(
  stores: StatefulResources,
  client: StoreClient,
): Record<string, string> {
  return { ...secretEnvironment(stores, client), NODE_EXTRA_CA_CERTS: LAMBDA_CA_BUNDLE };
}

/** Read access to exactly the secrets and bucket `client` uses. */
export function grantStoreAccess(
  stores: StatefulResources,
  grantee: iam.IGrantable,
  client: StoreClient,
): void {
  const access = ACCESS[client];
  databaseSecretOf(stores, client).grantRead(grantee);
  if (access.database === "owner") {
    for (const secret of Object.values(stores.databaseRoleSecrets)) secret.grantRead(grantee);
  }
  if (access.redis) stores.redisAuthSecret.grantRead(grantee);
  if (access.masterKey) stores.masterKeySecret.grantRead(grantee);
  if (access.providerKeys) stores.providerKeysSecret.grantRead(grantee);
  if (access.bucket) grantObjectReads(stores, grantee);
}

/**
 * GetObject on exactly the synced keys (not `bucket.grantRead`'s `bucket/*`), and ListBucket so a
 * missing object reads as 404 rather than 403.
 */
function grantObjectReads(stores: StatefulResources, grantee: iam.IGrantable): void {
  const keys = [stores.configKey, ...(stores.routingModelKey === undefined ? [] : [stores.routingModelKey])];
  iam.Grant.addToPrincipal({
    grantee,
    actions: ["s3:GetObject"],
    resourceArns: keys.map((key) => stores.bucket.arnForObjects(key)),
  });
  iam.Grant.addToPrincipal({ grantee, actions: ["s3:ListBucket"], resourceArns: [stores.bucket.bucketArn] });
}
