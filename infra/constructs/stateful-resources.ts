import * as iam from "aws-cdk-lib/aws-iam";
import type * as s3 from "aws-cdk-lib/aws-s3";
import type * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";

/** RDS and ElastiCache in the VPC (the default). */
export interface ManagedStores {
  readonly kind: "managed";
  /** RDS JSON secret (username, password, host, port, dbname). */
  readonly databaseSecret: secretsmanager.ISecret;
  readonly databaseHost: string;
  readonly databasePort: string;
  readonly databaseName: string;
  readonly redisHost: string;
  readonly redisPort: string;
  /** Plain-string AUTH token. */
  readonly redisAuthSecret: secretsmanager.ISecret;
}

/** PostgreSQL and Redis outside AWS, shared with the edge (`-c state=external`): a URL secret each. */
export interface ExternalStores {
  readonly kind: "external";
  readonly databaseUrlSecret: secretsmanager.ISecret;
  readonly redisUrlSecret: secretsmanager.ISecret;
}

/** What compute needs from the data stack: where the stores are and which secrets open them. */
export interface StatefulResources {
  readonly state: ManagedStores | ExternalStores;
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
  // Migrations run once per deploy (the migration trigger), never in every replica at start.
  const once = { LITELLM_RUN_DB_MIGRATIONS: "false" };
  const { state } = stores;
  // External stores' URLs (secrets) say everything, TLS included.
  if (state.kind === "external") return once;
  return {
    DATABASE_HOST: state.databaseHost,
    DATABASE_PORT: state.databasePort,
    DATABASE_NAME: state.databaseName,
    REDIS_HOST: state.redisHost,
    REDIS_PORT: state.redisPort,
    REDIS_TLS: "true",
    ...once,
  };
}

/** The secrets that open PostgreSQL and Redis, by the variable each process resolves them from. */
function storeSecrets(stores: StatefulResources): {
  database: [string, secretsmanager.ISecret];
  redis: [string, secretsmanager.ISecret];
} {
  const { state } = stores;
  return state.kind === "external"
    ? {
        database: ["DATABASE_URL_SECRET_ARN", state.databaseUrlSecret],
        redis: ["REDIS_URL_SECRET_ARN", state.redisUrlSecret],
      }
    : {
        database: ["DATABASE_SECRET_ARN", state.databaseSecret],
        redis: ["REDIS_PASSWORD_SECRET_ARN", state.redisAuthSecret],
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
 * What each process reads itself: the migration only PostgreSQL, the sync no master key but the
 * provider keys, since a config whose `os.environ/NAME` is unset fails validation and is not
 * published.
 */
const ACCESS = Object.freeze({
  gateway: { database: true, redis: true, masterKey: true, providerKeys: true, bucket: true },
  sync: { database: true, redis: true, masterKey: false, providerKeys: true, bucket: true },
  migrate: { database: true, redis: false, masterKey: false, providerKeys: false, bucket: false },
} as const satisfies Record<
  string,
  { database: boolean; redis: boolean; masterKey: boolean; providerKeys: boolean; bucket: boolean }
>);

export type StoreClient = keyof typeof ACCESS;

/**
 * Secrets by ARN, which each process resolves itself at start (functions/aws/secrets-env.ts), the
 * Lambda handlers and the Node gateway alike.
 */
export function secretEnvironment(stores: StatefulResources, client: StoreClient): Record<string, string> {
  const access = ACCESS[client];
  const { database, redis } = storeSecrets(stores);
  return {
    [database[0]]: database[1].secretArn,
    ...(access.redis ? { [redis[0]]: redis[1].secretArn } : {}),
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
  const { database, redis } = storeSecrets(stores);
  if (access.database) database[1].grantRead(grantee);
  if (access.redis) redis[1].grantRead(grantee);
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
