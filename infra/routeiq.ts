import { type App, Tags } from "aws-cdk-lib";
import { connectionBudget } from "./connection-budget";
import type { BedrockAccess } from "./constructs/bedrock-access";
import { DATABASE_NAME } from "./constructs/database";
import type { StatefulResources } from "./constructs/stateful-resources";
import { applyNagSuppressions } from "./nag-suppressions";
import { type DeploymentSettings, lambdaAssetDir, readSettings, repoRoot } from "./settings";
import { DataStack } from "./stacks/data-stack";
import { GatewayStack } from "./stacks/gateway-stack";
import { NetworkStack } from "./stacks/network-stack";

/** Where compute finds PostgreSQL and Redis: the data stack's RDS and ElastiCache, or the external URLs. */
function storesOf(data: DataStack): StatefulResources["state"] {
  if (data.external !== undefined) {
    return {
      kind: "external",
      databaseUrlSecret: data.external.databaseUrlSecret,
      databaseRoleUrlSecrets: data.external.databaseRoleUrlSecrets,
      redisUrlSecret: data.external.redisUrlSecret,
    };
  }
  if (data.database === undefined || data.redis === undefined)
    throw new Error("the data stack has no stores");
  return {
    kind: "managed",
    databaseInstance: data.database.instance,
    databaseOwnerSecret: data.database.secret,
    databaseRoleSecrets: data.database.roleSecrets,
    databaseHost: data.database.instance.dbInstanceEndpointAddress,
    databasePort: data.database.instance.dbInstanceEndpointPort,
    databaseName: DATABASE_NAME,
    redisHost: data.redis.host,
    redisPort: data.redis.port,
    redisAuthSecret: data.redis.authSecret,
  };
}

function bedrockAccess(arns: DeploymentSettings["bedrockModelArns"]): BedrockAccess {
  if (arns === undefined) return { kind: "all" };
  return arns === "none" ? { kind: "none" } : { kind: "models", arns };
}

export interface RouteIqStacks {
  readonly network: NetworkStack;
  readonly data: DataStack;
  readonly gateway: GatewayStack;
}

/**
 * Adds RouteIQ's three stacks to `app`, configured from its context (settings.ts). The stacks
 * are environment-agnostic: synth needs no AWS account and makes no lookups.
 */
export function addRouteIq(app: App): RouteIqStacks {
  const settings = readSettings(app);
  const name = (stack: string) => `${settings.stackPrefix}-${stack}`;
  const managed = settings.state === "managed";
  // Only RDS has a max_connections to share out. Neon's pooler takes up to 10,000 clients, so
  // with external stores the gateway's concurrency is left to the account unless capped.
  const budget = managed ? connectionBudget(settings.databaseMaxConnections) : undefined;
  const proxied = managed && settings.gateway === "lambda";

  const network = new NetworkStack(app, name("Network"), {
    description: "RouteIQ: VPC across two AZs and the security groups between tiers",
    availabilityZones: settings.availabilityZones,
    managedStores: managed,
    databaseProxy: proxied,
    gatewayEgressPorts: settings.egressPorts,
  });
  const data = new DataStack(app, name("Data"), {
    description: managed
      ? "RouteIQ: PostgreSQL, Redis, the config bucket and secrets (retained on delete)"
      : "RouteIQ: the config bucket and secrets (retained on delete); PostgreSQL and Redis are external",
    vpc: network.vpc,
    securityGroups: network.securityGroups,
    databaseInstanceType: settings.databaseInstanceType,
    databaseAllocatedStorageGiB: settings.databaseAllocatedStorageGiB,
    databaseMaxAllocatedStorageGiB: settings.databaseMaxAllocatedStorageGiB,
    databaseMaxConnections: settings.databaseMaxConnections,
    redisNodeType: settings.redisNodeType,
    redisNodes: settings.redisNodes,
    configBucketName: settings.configBucketName,
    externalState: managed
      ? undefined
      : {
          databaseUrlSecretArn: settings.databaseUrlSecretArn as string,
          gatewayDatabaseUrlSecretArn: settings.gatewayDatabaseUrlSecretArn,
          syncDatabaseUrlSecretArn: settings.syncDatabaseUrlSecretArn,
          redisUrlSecretArn: settings.redisUrlSecretArn as string,
        },
  });
  const stores: StatefulResources = {
    state: storesOf(data),
    masterKeySecret: data.masterKeySecret,
    providerKeysSecret: data.providerKeysSecret,
    bucket: data.config.bucket,
    configKey: settings.configKey,
    routingModelKey: settings.routingModelKey,
  };
  const gateway = new GatewayStack(app, name("Gateway"), {
    description: `RouteIQ: ALB, the ${settings.gateway} gateway, config sync, migration and alarms`,
    vpc: network.vpc,
    securityGroups: network.securityGroups,
    stores,
    assets: {
      gateway: lambdaAssetDir(settings, "gateway"),
      sync: lambdaAssetDir(settings, "sync"),
      migrate: lambdaAssetDir(settings, "migrate"),
    },
    compute:
      settings.gateway === "lambda"
        ? {
            kind: "lambda",
            memoryMiB: settings.gatewayMemoryMiB,
            reservedConcurrency: settings.gatewayReservedConcurrency ?? budget?.gatewayConcurrency,
          }
        : {
            kind: "fargate",
            imageDirectory: repoRoot,
            cpu: settings.fargateCpu,
            memoryMiB: settings.fargateMemoryMiB,
            minTasks: settings.fargateMinTasks,
            maxTasks: settings.fargateMaxTasks,
          },
    databaseProxy:
      proxied && budget !== undefined
        ? { maxConnectionsPercent: budget.proxyMaxConnectionsPercent }
        : undefined,
    albIdleTimeoutSeconds: settings.albIdleTimeoutSeconds,
    tls: settings.certificateArn === undefined ? "plain-http" : { certificateArn: settings.certificateArn },
    exposeMetrics: settings.exposeMetrics,
    waf: settings.waf
      ? { rateLimit: settings.wafRateLimit, managementRateLimit: settings.wafManagementRateLimit }
      : undefined,
    syncRateMinutes: settings.syncRateMinutes,
    bedrock: bedrockAccess(settings.bedrockModelArns),
    alarmEmail: settings.alarmEmail,
  });

  for (const stack of [network, data, gateway]) Tags.of(stack).add("project", "routeiq");
  applyNagSuppressions({ network, data, gateway });
  return { network, data, gateway };
}
