import { Validations } from "aws-cdk-lib";
import type { ISecurityGroup } from "aws-cdk-lib/aws-ec2";
import { AwsSolutionsChecks } from "cdk-nag";
import type { IConstruct } from "constructs";
import { beforeAll, describe, expect, it } from "vitest";
import { egressOf, ingressRules } from "./security-group-rules";
import { migrationRoles, migrationVariables, type SynthesizedRouteIq, synthRouteIq } from "./synth-app";

const SECRET = "arn:aws:secretsmanager:us-east-1:111111111111:secret:routeiq";
const DATABASE_URL_SECRET = `${SECRET}/neon-url-AbCdEf`;
const GATEWAY_URL_SECRET = `${SECRET}/neon-gateway-url-MnOpQr`;
const SYNC_URL_SECRET = `${SECRET}/neon-sync-url-StUvWx`;
const REDIS_URL_SECRET = `${SECRET}/upstash-url-GhIjKl`;
const certificateArn = "arn:aws:acm:us-east-1:111111111111:certificate/00000000-0000-0000-0000-000000000000";

/** `-c state=external`, synthesized with the nag checks on, as infra/app.ts does. */
function synthExternal(context: Record<string, unknown>): SynthesizedRouteIq {
  const routeiq = synthRouteIq({
    certificateArn,
    state: "external",
    databaseUrlSecretArn: DATABASE_URL_SECRET,
    redisUrlSecretArn: REDIS_URL_SECRET,
    ...context,
  });
  Validations.of(routeiq.app).addPlugins(new AwsSolutionsChecks(routeiq.app));
  routeiq.app.synth({ force: true });
  return routeiq;
}

const unacknowledged = (routeiq: SynthesizedRouteIq) =>
  new AwsSolutionsChecks().validateScope(routeiq.app).violations.flatMap((v) => v.violatingResources);

const functionsOf = (routeiq: SynthesizedRouteIq) =>
  routeiq.templates.gateway.findResources("AWS::Lambda::Function");

const variablesOf = (routeiq: SynthesizedRouteIq, construct: { node: IConstruct["node"] }) =>
  functionsOf(routeiq)[routeiq.gateway.getLogicalId(construct.node.defaultChild as never)]?.Properties
    .Environment.Variables;

const gatewayFunctionOf = (routeiq: SynthesizedRouteIq) =>
  (routeiq.gateway.gateway as { function: { node: IConstruct["node"] } }).function;

/** The IAM policy of the function whose logical id starts with `name`, as JSON. */
const policyOf = (routeiq: SynthesizedRouteIq, name: string) =>
  JSON.stringify(
    Object.entries(routeiq.templates.gateway.findResources("AWS::IAM::Policy")).find(([id]) =>
      id.startsWith(name),
    )?.[1],
  );

/** The region on Neon and Upstash, the state it shares with the edge: one URL for PostgreSQL. */
let routeiq: SynthesizedRouteIq;
/** The same, with a login role of its own for the gateway and for the sync. */
let withRoles: SynthesizedRouteIq;
beforeAll(() => {
  routeiq = synthExternal({});
  withRoles = synthExternal({
    gatewayDatabaseUrlSecretArn: GATEWAY_URL_SECRET,
    syncDatabaseUrlSecretArn: SYNC_URL_SECRET,
    gatewayReservedConcurrency: "300",
  });
}, 240_000);

describe("state=external", () => {
  it("creates no RDS, ElastiCache, RDS Proxy or role secret, only the master key and provider keys", () => {
    const { data, gateway } = routeiq.templates;
    data.resourceCountIs("AWS::RDS::DBInstance", 0);
    data.resourceCountIs("AWS::ElastiCache::ReplicationGroup", 0);
    data.resourceCountIs("AWS::SecretsManager::Secret", 2);
    gateway.resourceCountIs("AWS::RDS::DBProxy", 0);
    expect(routeiq.gateway.databaseProxy).toBeUndefined();
    const outputs = Object.keys(data.findOutputs("*"));
    expect(outputs).toEqual(
      expect.arrayContaining(["ConfigBucketName", "MasterKeySecretArn", "ProviderKeysSecretArn"]),
    );
    expect(outputs.filter((name) => /^(Database|Redis)/.test(name))).toEqual([]);
  });

  it("opens no PostgreSQL or Redis port in the VPC: the processes reach the stores through NAT on theirs and 443", () => {
    const groups = routeiq.network.securityGroups;
    expect([groups.database, groups.redis, groups.databaseProxy]).toEqual([undefined, undefined, undefined]);
    const { network } = routeiq.templates;
    network.resourceCountIs("AWS::EC2::SecurityGroup", 4);
    network.resourceCountIs("AWS::EC2::NatGateway", 2);
    const dataPorts = ingressRules(network).filter((rule) => rule.port === 5432 || rule.port === 6379);
    expect(dataPorts).toEqual([]);
    const egress = (group: ISecurityGroup) => egressOf(routeiq.network, network, group, {});
    const anywhere = (...ports: number[]) => ports.map((port) => `tcp ${port} to 0.0.0.0/0`).sort();
    expect(egress(groups.gateway)).toEqual(anywhere(443, 5432, 6379));
    expect(egress(groups.sync)).toEqual(anywhere(443, 5432, 6379));
    expect(egress(groups.migrate)).toEqual(anywhere(443, 5432));
  });

  it("gives every process the owner's URL secret instead of hosts, and grants reading exactly those", () => {
    const functions = functionsOf(routeiq);
    const withUrl = Object.values(functions).filter(
      (fn) => fn.Properties.Environment?.Variables?.DATABASE_URL_SECRET_ARN !== undefined,
    );
    // The gateway, the sync and the migration.
    expect(withUrl).toHaveLength(3);
    for (const fn of withUrl) {
      const variables = fn.Properties.Environment.Variables;
      expect(variables.DATABASE_URL_SECRET_ARN).toBe(DATABASE_URL_SECRET);
      for (const name of ["DATABASE_HOST", "DATABASE_SECRET_ARN", "REDIS_HOST", "REDIS_PASSWORD_SECRET_ARN"])
        expect(variables[name], name).toBeUndefined();
      expect(variables.LITELLM_RUN_DB_MIGRATIONS).toBe("false");
    }
    expect(variablesOf(routeiq, gatewayFunctionOf(routeiq)).REDIS_URL_SECRET_ARN).toBe(REDIS_URL_SECRET);
    expect(variablesOf(routeiq, routeiq.gateway.sync.function).REDIS_URL_SECRET_ARN).toBe(REDIS_URL_SECRET);
    for (const name of ["GatewayFunction", "ConfigSyncFunction"]) {
      expect(policyOf(routeiq, name)).toContain(DATABASE_URL_SECRET);
      expect(policyOf(routeiq, name)).toContain(REDIS_URL_SECRET);
    }
    // The migration touches PostgreSQL only, and has no login role to set up.
    expect(policyOf(routeiq, "MigrationFunction")).toContain(DATABASE_URL_SECRET);
    expect(policyOf(routeiq, "MigrationFunction")).not.toContain(REDIS_URL_SECRET);
    expect(migrationRoles(routeiq)).toEqual([]);
  });

  it("leaves the gateway's concurrency unreserved (Neon's pooler is not max_connections), unless capped", () => {
    const reserved = (synthesized: SynthesizedRouteIq) =>
      Object.values(functionsOf(synthesized))
        .map((fn) => fn.Properties.ReservedConcurrentExecutions)
        .filter((value) => value !== undefined);
    expect(reserved(routeiq)).toEqual([]);
    expect(reserved(withRoles)).toEqual([300]);
  });

  it("connects the gateway and sync as their own roles, which the migration grants, never as the owner", () => {
    expect(variablesOf(withRoles, gatewayFunctionOf(withRoles)).DATABASE_URL_SECRET_ARN).toBe(
      GATEWAY_URL_SECRET,
    );
    expect(variablesOf(withRoles, withRoles.gateway.sync.function).DATABASE_URL_SECRET_ARN).toBe(
      SYNC_URL_SECRET,
    );
    expect(migrationVariables(withRoles).DATABASE_URL_SECRET_ARN).toBe(DATABASE_URL_SECRET);
    expect(migrationRoles(withRoles)).toEqual([
      { url_secret_arn: GATEWAY_URL_SECRET, access: ["serve"] },
      { url_secret_arn: SYNC_URL_SECRET, access: ["publish"] },
    ]);
    expect(policyOf(withRoles, "GatewayFunction")).toContain(GATEWAY_URL_SECRET);
    expect(policyOf(withRoles, "ConfigSyncFunction")).toContain(SYNC_URL_SECRET);
    for (const name of ["GatewayFunction", "ConfigSyncFunction"])
      expect(policyOf(withRoles, name)).not.toContain(DATABASE_URL_SECRET);
    // It reads each role's URL for its user name.
    for (const arn of [DATABASE_URL_SECRET, GATEWAY_URL_SECRET, SYNC_URL_SECRET])
      expect(policyOf(withRoles, "MigrationFunction")).toContain(arn);
  });

  it("grants a Fargate gateway, which syncs in-process, both serving and publishing", () => {
    const fargate = synthRouteIq({
      certificateArn,
      gateway: "fargate",
      state: "external",
      databaseUrlSecretArn: DATABASE_URL_SECRET,
      gatewayDatabaseUrlSecretArn: GATEWAY_URL_SECRET,
      redisUrlSecretArn: REDIS_URL_SECRET,
    });
    expect(migrationRoles(fargate)).toEqual([
      { url_secret_arn: GATEWAY_URL_SECRET, access: ["serve", "publish"] },
    ]);
    const [task] = Object.values(fargate.templates.gateway.findResources("AWS::ECS::TaskDefinition"));
    expect(task?.Properties.ContainerDefinitions[0].Environment).toEqual(
      expect.arrayContaining([
        { Name: "DATABASE_URL_SECRET_ARN", Value: GATEWAY_URL_SECRET },
        { Name: "REDIS_URL_SECRET_ARN", Value: REDIS_URL_SECRET },
      ]),
    );
    // The sync function, without a role of its own, connects as the owner.
    expect(variablesOf(fargate, fargate.gateway.sync.function).DATABASE_URL_SECRET_ARN).toBe(
      DATABASE_URL_SECRET,
    );
  }, 120_000);

  it("passes cdk-nag with nothing unacknowledged", () => {
    expect(unacknowledged(routeiq)).toEqual([]);
    expect(unacknowledged(withRoles)).toEqual([]);
  });

  it("refuses to synth without both URL secrets, naming the missing one", () => {
    expect(() =>
      synthRouteIq({ certificateArn, state: "external", databaseUrlSecretArn: DATABASE_URL_SECRET }),
    ).toThrow("redisUrlSecretArn: required with state=external");
  });
});
