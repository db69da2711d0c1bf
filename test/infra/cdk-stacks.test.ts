import { App, Stack } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import type { CfnSubnet, ISecurityGroup } from "aws-cdk-lib/aws-ec2";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import type { IConstruct } from "constructs";
import { beforeAll, describe, expect, it } from "vitest";
import { SecurityGroups } from "../../infra/constructs/security-groups";
import { egressOf, ingressRules } from "./security-group-rules";
import {
  dataTierGroups,
  managedDatabase,
  migrationRoles,
  migrationVariables,
  roleSecretId,
  type SynthesizedRouteIq,
  synthRouteIq,
} from "./synth-app";

const certificateArn = "arn:aws:acm:us-east-1:111111111111:certificate/00000000-0000-0000-0000-000000000000";

/** The default deployment (`gateway=lambda`, cdk.json's context) with the certificate it requires. */
let routeiq: SynthesizedRouteIq;
beforeAll(() => {
  routeiq = synthRouteIq({ certificateArn });
}, 120_000);

const groupId = (stack: Stack, group: { node: IConstruct["node"] }) => ({
  "Fn::GetAtt": [stack.getLogicalId(group.node.defaultChild as never), "GroupId"],
});

/** A cross-stack reference names the exporting resource's logical id in its output name. */
const referencesAll = (value: unknown, logicalIds: string[]) =>
  logicalIds.every((id) => JSON.stringify(value).includes(id));

describe("network", () => {
  it("spans two AZs with a NAT gateway in each, three subnet tiers, an S3 endpoint and flow logs", () => {
    const { network } = routeiq.templates;
    network.resourceCountIs("AWS::EC2::NatGateway", 2);
    network.resourceCountIs("AWS::EC2::Subnet", 6);
    network.hasResourceProperties("AWS::EC2::VPCEndpoint", {
      ServiceName: Match.objectLike({ "Fn::Join": Match.arrayWith([Match.arrayWith([".s3"])]) }),
      VpcEndpointType: "Gateway",
    });
    network.hasResourceProperties("AWS::EC2::FlowLog", { ResourceType: "VPC", TrafficType: "ALL" });
  });

  it("admits PostgreSQL only from the proxy and the migration, the proxy from the gateway and sync", () => {
    const { network: stack, templates } = routeiq;
    const groups = { ...stack.securityGroups, ...dataTierGroups(routeiq) };
    const proxy = groups.databaseProxy as NonNullable<typeof groups.databaseProxy>;
    expect(proxy).toBeDefined();
    const rules = ingressRules(templates.network);
    const sourcesOf = (group: typeof proxy, port: number) =>
      rules.filter(
        (rule) => JSON.stringify(rule.group) === JSON.stringify(groupId(stack, group)) && rule.port === port,
      );

    const database = sourcesOf(groups.database, 5432);
    expect(database.map((rule) => rule.sourceGroup)).toEqual(
      expect.arrayContaining([proxy, groups.migrate].map((g) => groupId(stack, g))),
    );
    expect(database).toHaveLength(2);
    const proxied = sourcesOf(proxy, 5432);
    expect(proxied.map((rule) => rule.sourceGroup)).toEqual(
      expect.arrayContaining([groups.gateway, groups.sync].map((g) => groupId(stack, g))),
    );
    expect(proxied).toHaveLength(2);
    const redis = sourcesOf(groups.redis, 6379);
    expect(redis.map((rule) => rule.sourceGroup)).toEqual(
      expect.arrayContaining([groups.gateway, groups.sync].map((g) => groupId(stack, g))),
    );
    expect(redis).toHaveLength(2);

    for (const template of Object.values(templates)) {
      for (const rule of ingressRules(template)) {
        if (rule.port === 5432 || rule.port === 6379) expect(rule.cidr).toBeUndefined();
      }
    }
    const dataGroups = [groups.database, groups.redis].map((g) => JSON.stringify(groupId(stack, g)));
    expect(rules.filter((rule) => dataGroups.includes(JSON.stringify(rule.group)))).toHaveLength(4);
  });

  it("lets each group out only to HTTPS and the data tier it uses, never all traffic", () => {
    const { network: stack, templates } = routeiq;
    const { loadBalancer, gateway, sync, migrate, databaseProxy } = stack.securityGroups;
    const groups = { loadBalancer, gateway, sync, migrate, databaseProxy, ...dataTierGroups(routeiq) };
    const egress = (group: ISecurityGroup) => egressOf(stack, templates.network, group, groups);
    expect(egress(groups.gateway)).toEqual([
      "tcp 443 to 0.0.0.0/0",
      "tcp 5432 to databaseProxy",
      "tcp 6379 to redis",
    ]);
    expect(egress(groups.sync)).toEqual([
      "tcp 443 to 0.0.0.0/0",
      "tcp 5432 to databaseProxy",
      "tcp 6379 to redis",
    ]);
    expect(egress(groups.migrate)).toEqual(["tcp 443 to 0.0.0.0/0", "tcp 5432 to database"]);
    expect(egress(groups.databaseProxy as ISecurityGroup)).toEqual(["tcp 5432 to database"]);
    expect(egress(groups.loadBalancer)).toEqual(["tcp 4000 to gateway"]);
    expect(egress(groups.database)).toEqual([]);
    expect(egress(groups.redis)).toEqual([]);
    // The VPC is IPv4 only: nothing is opened to ::/0.
    expect(JSON.stringify(templates.network.toJSON())).not.toContain("::/0");
  });

  it("opens the internet rules to IPv6 too when the VPC is dual stack, and the operator's extra ports on the gateway only", () => {
    const stack = new Stack(new App(), "DualStack");
    const vpc = new ec2.Vpc(stack, "Vpc", { ipProtocol: ec2.IpProtocol.DUAL_STACK });
    const groups = new SecurityGroups(stack, "Groups", {
      vpc,
      managedStores: false,
      databaseProxy: false,
      ipv6: true,
      gatewayEgressPorts: [8000, 80, 443, 8000],
    });
    const template = Template.fromStack(stack);
    const both = (port: number) => [`tcp ${port} to 0.0.0.0/0`, `tcp ${port} to ::/0`];
    expect(egressOf(stack, template, groups.gateway, {})).toEqual(
      [...both(443), ...both(5432), ...both(6379), ...both(80), ...both(8000)].sort(),
    );
    expect(egressOf(stack, template, groups.sync, {})).toEqual(
      [...both(443), ...both(5432), ...both(6379)].sort(),
    );
    expect(egressOf(stack, template, groups.migrate, {})).toEqual([...both(443), ...both(5432)].sort());
  });
});

describe("data", () => {
  const isolatedSubnetIds = () =>
    routeiq.network.vpc.isolatedSubnets.map((subnet) =>
      routeiq.network.getLogicalId(subnet.node.defaultChild as CfnSubnet),
    );

  it("runs PostgreSQL Multi-AZ, encrypted, private, TLS-only, backed up and protected", () => {
    const { data } = routeiq.templates;
    data.hasResource("AWS::RDS::DBInstance", {
      Properties: Match.objectLike({
        Engine: "postgres",
        MultiAZ: true,
        StorageEncrypted: true,
        PubliclyAccessible: false,
        DeletionProtection: true,
        BackupRetentionPeriod: 7,
        EnableIAMDatabaseAuthentication: true,
      }),
      DeletionPolicy: "Snapshot",
      UpdateReplacePolicy: "Snapshot",
    });
    data.hasResourceProperties("AWS::RDS::DBParameterGroup", {
      Parameters: { "rds.force_ssl": "1", max_connections: "400" },
    });
    const [subnetGroup] = Object.values(data.findResources("AWS::RDS::DBSubnetGroup"));
    expect(referencesAll(subnetGroup?.Properties.SubnetIds, isolatedSubnetIds())).toBe(true);
    expect(subnetGroup?.Properties.SubnetIds).toHaveLength(2);
  });

  it("generates the master user's and each login role's credentials into Secrets Manager", () => {
    const { data } = routeiq.templates;
    data.hasResourceProperties("AWS::SecretsManager::Secret", {
      GenerateSecretString: Match.objectLike({ SecretStringTemplate: '{"username":"routeiq"}' }),
    });
    data.hasResourceProperties("AWS::SecretsManager::SecretTargetAttachment", {
      TargetType: "AWS::RDS::DBInstance",
    });
    for (const [role, secret] of [
      ["routeiq_gateway", managedDatabase(routeiq).roleSecrets.gateway],
      ["routeiq_sync", managedDatabase(routeiq).roleSecrets.sync],
    ] as const) {
      const id = routeiq.data.getLogicalId(secret.node.defaultChild as never);
      const resource = data.findResources("AWS::SecretsManager::Secret")[id];
      expect(resource?.Properties.GenerateSecretString.SecretStringTemplate).toBe(
        JSON.stringify({ username: role }),
      );
      expect(resource?.DeletionPolicy).toBe("Retain");
      // No attachment: a host in the secret would beat DATABASE_HOST, and so bypass the proxy.
      expect(JSON.stringify(data.findResources("AWS::SecretsManager::SecretTargetAttachment"))).not.toContain(
        id,
      );
    }
  });

  it("runs Redis as a Multi-AZ replication group with failover, TLS, encryption at rest and AUTH", () => {
    const { data } = routeiq.templates;
    data.hasResourceProperties("AWS::ElastiCache::ReplicationGroup", {
      AutomaticFailoverEnabled: true,
      MultiAZEnabled: true,
      NumCacheClusters: 2,
      TransitEncryptionEnabled: true,
      AtRestEncryptionEnabled: true,
      // A dynamic reference: resolved by CloudFormation, never in the template.
      AuthToken: { "Fn::Join": ["", Match.arrayWith([Match.stringLikeRegexp("resolve:secretsmanager:")])] },
    });
    const [subnetGroup] = Object.values(data.findResources("AWS::ElastiCache::SubnetGroup"));
    expect(referencesAll(subnetGroup?.Properties.SubnetIds, isolatedSubnetIds())).toBe(true);
  });

  it("keeps config in a versioned, encrypted, private, TLS-only, access-logged bucket", () => {
    const { data } = routeiq.templates;
    data.hasResource("AWS::S3::Bucket", {
      Properties: Match.objectLike({
        VersioningConfiguration: { Status: "Enabled" },
        BucketEncryption: { ServerSideEncryptionConfiguration: [Match.objectLike({})] },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        LoggingConfiguration: Match.objectLike({ LogFilePrefix: "config-bucket/" }),
      }),
      DeletionPolicy: "Retain",
    });
    const configBucket = routeiq.data.getLogicalId(routeiq.data.config.bucket.node.defaultChild as never);
    data.hasResourceProperties("AWS::S3::BucketPolicy", {
      Bucket: { Ref: configBucket },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
        ]),
      },
    });
  });

  it("creates the provider keys secret empty, for operators to fill, and retains it", () => {
    const { data } = routeiq.templates;
    const providerKeys = routeiq.data.getLogicalId(
      routeiq.data.providerKeysSecret.node.defaultChild as never,
    );
    const secret = data.findResources("AWS::SecretsManager::Secret")[providerKeys];
    expect(secret?.Properties.SecretString).toBe("{}");
    expect(secret?.DeletionPolicy).toBe("Retain");
  });

  it("outputs the bucket name and secret ARNs, not secret values", () => {
    const outputs = routeiq.templates.data.findOutputs("*");
    expect(Object.keys(outputs)).toEqual(
      expect.arrayContaining([
        "ConfigBucketName",
        "DatabaseSecretArn",
        "DatabaseGatewayRoleSecretArn",
        "DatabaseSyncRoleSecretArn",
        "RedisAuthSecretArn",
        "MasterKeySecretArn",
        "ProviderKeysSecretArn",
      ]),
    );
    expect(JSON.stringify(outputs)).not.toMatch(/SecretString/);
  });
});

describe("gateway (lambda)", () => {
  const providerKeys = () =>
    routeiq.data.getLogicalId(routeiq.data.providerKeysSecret.node.defaultChild as never);
  const gatewayFunction = () =>
    routeiq.gateway.getLogicalId(
      (routeiq.gateway.gateway as { function: { node: IConstruct["node"] } }).function.node
        .defaultChild as never,
    );

  it("fronts the gateway with an internet-facing ALB that drops invalid headers and logs access", () => {
    const { gateway } = routeiq.templates;
    const [alb] = Object.values(gateway.findResources("AWS::ElasticLoadBalancingV2::LoadBalancer"));
    expect(alb?.Properties.Scheme).toBe("internet-facing");
    expect(alb?.Properties.LoadBalancerAttributes).toEqual(
      expect.arrayContaining([
        { Key: "routing.http.drop_invalid_header_fields.enabled", Value: "true" },
        { Key: "access_logs.s3.enabled", Value: "true" },
        { Key: "idle_timeout.timeout_seconds", Value: "900" },
      ]),
    );
    expect(Object.keys(gateway.findOutputs("*"))).toContain("LoadBalancerDnsName");
  });

  it("serves HTTPS with the certificate and only redirects on port 80", () => {
    const { gateway } = routeiq.templates;
    gateway.hasResourceProperties("AWS::ElasticLoadBalancingV2::Listener", {
      Port: 443,
      Protocol: "HTTPS",
      Certificates: [{ CertificateArn: certificateArn }],
    });
    const listeners = Object.values(gateway.findResources("AWS::ElasticLoadBalancingV2::Listener"));
    expect(listeners).toHaveLength(2);
    const http = listeners.find((listener) => listener.Properties.Port === 80);
    expect(http?.Properties.DefaultActions).toEqual([
      expect.objectContaining({
        Type: "redirect",
        RedirectConfig: expect.objectContaining({ Protocol: "HTTPS", Port: "443" }),
      }),
    ]);
  });

  it("lets only the ALB's own target group invoke the gateway, from this account", () => {
    const { gateway } = routeiq.templates;
    const [targetGroup] = Object.values(gateway.findResources("AWS::ElasticLoadBalancingV2::TargetGroup"));
    const name = targetGroup?.Properties.Name;
    expect(name).toMatch(/^[A-Za-z0-9][A-Za-z0-9-]{0,30}[A-Za-z0-9]$/);
    const permissions = Object.values(gateway.findResources("AWS::Lambda::Permission")).filter(
      (permission) => permission.Properties.Principal === "elasticloadbalancing.amazonaws.com",
    );
    expect(permissions).toHaveLength(1);
    expect(permissions[0]?.Properties).toMatchObject({
      FunctionName: { "Fn::GetAtt": [gatewayFunction(), "Arn"] },
      SourceAccount: { Ref: "AWS::AccountId" },
    });
    const sourceArn = JSON.stringify(permissions[0]?.Properties.SourceArn);
    expect(sourceArn).toContain(`:targetgroup/${name}/*`);
    expect(sourceArn).toContain('{"Ref":"AWS::AccountId"}');
    // The ALB checks the permission when it registers the function.
    const [targetGroupId] = Object.keys(gateway.findResources("AWS::ElasticLoadBalancingV2::TargetGroup"));
    const permissionId = Object.entries(gateway.findResources("AWS::Lambda::Permission")).find(
      ([, permission]) => permission.Properties.Principal === "elasticloadbalancing.amazonaws.com",
    )?.[0];
    expect(
      gateway.findResources("AWS::ElasticLoadBalancingV2::TargetGroup")[targetGroupId as string]?.DependsOn,
    ).toContain(permissionId);
  });

  it("targets the Lambda with the readiness health check switched on", () => {
    routeiq.templates.gateway.hasResourceProperties("AWS::ElasticLoadBalancingV2::TargetGroup", {
      TargetType: "lambda",
      HealthCheckEnabled: true,
      HealthCheckPath: "/_health/ready",
    });
  });

  it("runs the gateway on a current Node runtime, arm64, in the VPC, with the contract's environment", () => {
    const { gateway } = routeiq.templates;
    const fn = gateway.findResources("AWS::Lambda::Function")[gatewayFunction()];
    expect(fn?.Properties).toMatchObject({
      Runtime: "nodejs24.x",
      Architectures: ["arm64"],
      Handler: "index.handler",
      Timeout: 900,
      VpcConfig: { SubnetIds: expect.any(Array), SecurityGroupIds: expect.any(Array) },
    });
    const variables = fn?.Properties.Environment.Variables;
    expect(Object.keys(variables)).toEqual(
      expect.arrayContaining([
        "DATABASE_SECRET_ARN",
        "REDIS_HOST",
        "REDIS_PORT",
        "REDIS_PASSWORD_SECRET_ARN",
        "LITELLM_MASTER_KEY_SECRET_ARN",
        "CONFIG_S3_BUCKET",
      ]),
    );
    expect(referencesAll(variables.ROUTEIQ_ENV_SECRET_ARN, [providerKeys()])).toBe(true);
    expect(variables).toMatchObject({
      DATABASE_POOL_MAX: "2",
      REDIS_TLS: "true",
      CONFIG_S3_KEY: "configs/config.yaml",
      LITELLM_RUN_DB_MIGRATIONS: "false",
      NODE_EXTRA_CA_CERTS: "/var/runtime/ca-cert.pem",
      LLMROUTER_CONFIG_SYNC_LEADER_ELECTION_ENABLED: "true",
      LLMROUTER_CONFIG_SYNC_LEASE_SECONDS: "30",
      LLMROUTER_CONFIG_SYNC_RENEW_INTERVAL_SECONDS: "10",
      LLMROUTER_CONFIG_SYNC_LOCK_NAME: "config_sync",
    });
    expect(JSON.stringify(variables)).not.toMatch(/SecretString|resolve:secretsmanager/);
  });

  it("never uses a deprecated Node runtime", () => {
    for (const fn of Object.values(routeiq.templates.gateway.findResources("AWS::Lambda::Function"))) {
      expect(fn.Properties.Runtime).not.toMatch(/^nodejs(1\d|20)\.x$/);
    }
  });

  it("lets the gateway read exactly the config object and its secrets", () => {
    routeiq.templates.gateway.hasResourceProperties("AWS::IAM::Policy", {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"],
            // The database, Redis, master-key and provider-keys secrets.
            Resource: [Match.anyValue(), Match.anyValue(), Match.anyValue(), Match.anyValue()],
          }),
          Match.objectLike({
            Action: "s3:GetObject",
            Resource: { "Fn::Join": ["", Match.arrayWith(["/configs/config.yaml"])] },
          }),
        ]),
      },
    });
  });

  it("syncs config on an EventBridge schedule targeting the sync Lambda", () => {
    const { gateway } = routeiq.templates;
    const sync = routeiq.gateway.getLogicalId(routeiq.gateway.sync.function.node.defaultChild as never);
    gateway.hasResourceProperties("AWS::Events::Rule", {
      ScheduleExpression: "rate(1 minute)",
      State: "ENABLED",
      Targets: [Match.objectLike({ Arn: { "Fn::GetAtt": [sync, "Arn"] } })],
    });
    const fn = gateway.findResources("AWS::Lambda::Function")[sync];
    expect(fn?.Properties.Environment.Variables).toMatchObject({ CONFIG_S3_KEY: "configs/config.yaml" });
  });

  it("gives the sync the provider keys (validation resolves os.environ/NAME) and the migration none", () => {
    const functions = routeiq.templates.gateway.findResources("AWS::Lambda::Function");
    const variablesOf = (construct: { node: IConstruct["node"] }) =>
      functions[routeiq.gateway.getLogicalId(construct.node.defaultChild as never)]?.Properties.Environment
        .Variables;
    const sync = variablesOf(routeiq.gateway.sync.function);
    expect(referencesAll(sync.ROUTEIQ_ENV_SECRET_ARN, [providerKeys()])).toBe(true);
    expect(sync.LITELLM_MASTER_KEY_SECRET_ARN).toBeUndefined();
    const migrate = variablesOf(routeiq.gateway.migration.trigger);
    expect(Object.keys(migrate)).toContain("DATABASE_SECRET_ARN");
    expect(migrate.ROUTEIQ_ENV_SECRET_ARN).toBeUndefined();
  });

  it("connects the gateway and sync through a TLS-only RDS Proxy, each as its own role", () => {
    const { gateway } = routeiq.templates;
    const proxy = routeiq.gateway.getLogicalId(
      routeiq.gateway.databaseProxy?.proxy.node.defaultChild as never,
    );
    const [auth] = Object.values(gateway.findResources("AWS::RDS::DBProxy")).map(
      (resource) => resource.Properties.Auth,
    );
    expect(auth).toHaveLength(2);
    for (const entry of auth) {
      expect(entry).toMatchObject({
        AuthScheme: "SECRETS",
        IAMAuth: "DISABLED",
        ClientPasswordAuthType: "POSTGRES_SCRAM_SHA_256",
      });
    }
    gateway.hasResourceProperties("AWS::RDS::DBProxy", { EngineFamily: "POSTGRESQL", RequireTLS: true });
    const roleSecret = (role: "gateway" | "sync") => roleSecretId(routeiq, role);
    expect(referencesAll(auth, [roleSecret("gateway"), roleSecret("sync")])).toBe(true);
    // 95 % of max_connections: (400 - 20 reserved) / 400.
    gateway.hasResourceProperties("AWS::RDS::DBProxyTargetGroup", {
      ConnectionPoolConfigurationInfo: { MaxConnectionsPercent: 95 },
    });

    const functions = gateway.findResources("AWS::Lambda::Function");
    const variablesOf = (id: string) => functions[id]?.Properties.Environment.Variables;
    const sync = routeiq.gateway.getLogicalId(routeiq.gateway.sync.function.node.defaultChild as never);
    for (const [id, role] of [
      [gatewayFunction(), "gateway"],
      [sync, "sync"],
    ] as const) {
      expect(variablesOf(id).DATABASE_HOST).toEqual({ "Fn::GetAtt": [proxy, "Endpoint"] });
      expect(referencesAll(variablesOf(id).DATABASE_SECRET_ARN, [roleSecret(role)])).toBe(true);
      expect(variablesOf(id).DATABASE_POOL_MAX).toBe("2");
    }
  });

  it("caps the gateway's concurrency so its connections fit max_connections", () => {
    const fn = routeiq.templates.gateway.findResources("AWS::Lambda::Function")[gatewayFunction()];
    // ⌊(400 - 20 reserved - 2 for the sync) / 2 per container⌋
    expect(fn?.Properties.ReservedConcurrentExecutions).toBe(189);
  });

  it("has the migration, as the master user, create the roles with only the access each uses", () => {
    const variables = migrationVariables(routeiq);
    const owner = routeiq.data.getLogicalId(
      managedDatabase(routeiq).instance.node.findChild("Secret").node.findChild("Attachment").node
        .defaultChild as never,
    );
    expect(referencesAll(variables.DATABASE_SECRET_ARN, [owner])).toBe(true);
    expect(migrationRoles(routeiq)).toEqual([
      { secret_arn: expect.stringContaining(roleSecretId(routeiq, "gateway")), access: ["serve"] },
      { secret_arn: expect.stringContaining(roleSecretId(routeiq, "sync")), access: ["publish"] },
    ]);
    expect(Object.keys(routeiq.templates.gateway.findOutputs("*"))).toContain("MigrationFunctionName");
  });

  it("migrates the database with a Trigger that runs before the gateway and the sync", () => {
    const { gateway } = routeiq.templates;
    gateway.resourceCountIs("Custom::Trigger", 1);
    const trigger = routeiq.gateway.getLogicalId(
      routeiq.gateway.migration.trigger.node.findChild("Trigger").node.defaultChild as never,
    );
    const sync = routeiq.gateway.getLogicalId(routeiq.gateway.sync.function.node.defaultChild as never);
    const functions = gateway.findResources("AWS::Lambda::Function");
    expect(functions[gatewayFunction()]?.DependsOn).toContain(trigger);
    expect(functions[sync]?.DependsOn).toContain(trigger);
  });

  it("alarms on 5xx, p99 latency, unhealthy targets, sync failures and gateway errors/throttles", () => {
    const { gateway } = routeiq.templates;
    gateway.resourceCountIs("AWS::CloudWatch::Alarm", 8);
    for (const metric of [
      "HTTPCode_ELB_5XX_Count",
      "HTTPCode_Target_5XX_Count",
      "UnHealthyHostCount",
      "Throttles",
    ]) {
      gateway.hasResourceProperties("AWS::CloudWatch::Alarm", { MetricName: metric });
    }
    gateway.hasResourceProperties("AWS::CloudWatch::Alarm", {
      MetricName: "TargetResponseTime",
      ExtendedStatistic: "p99",
    });
    gateway.hasResourceProperties("AWS::CloudWatch::Alarm", {
      ComparisonOperator: "LessThanThreshold",
      TreatMissingData: "breaching",
      Metrics: Match.arrayWith([Match.objectLike({ Expression: "FILL(invocations, 0) - FILL(errors, 0)" })]),
    });
    gateway.hasResourceProperties("AWS::SNS::Topic", { KmsMasterKeyId: Match.anyValue() });
    gateway.resourceCountIs("AWS::SNS::Subscription", 0);
  });
});
