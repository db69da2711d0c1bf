import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Match } from "aws-cdk-lib/assertions";
import type { ISecurityGroup } from "aws-cdk-lib/aws-ec2";
import type { IConstruct } from "constructs";
import { beforeAll, describe, expect, it } from "vitest";
import type { FargateGateway } from "../../infra/constructs/fargate-gateway";
import { egressOf, ingressRules } from "./security-group-rules";
import {
  dataTierGroups,
  migrationRoles,
  roleSecretId,
  type SynthesizedRouteIq,
  synthRouteIq,
} from "./synth-app";

const certificateArn = "arn:aws:acm:us-east-1:111111111111:certificate/00000000-0000-0000-0000-000000000000";

/** `gateway=fargate` with a certificate: the container variant behind HTTPS, with two extra egress ports. */
let routeiq: SynthesizedRouteIq;
beforeAll(() => {
  routeiq = synthRouteIq({
    gateway: "fargate",
    certificateArn,
    alarmEmail: "ops@example.com",
    // A self-hosted model server on 8000 and an MCP server on plain HTTP.
    egressPorts: "80,8000",
  });
}, 120_000);

describe("gateway (fargate)", () => {
  it("runs a read-only container with writable /tmp and /app/data, probed on /_health/live", () => {
    routeiq.templates.gateway.hasResourceProperties("AWS::ECS::TaskDefinition", {
      RequiresCompatibilities: ["FARGATE"],
      ContainerDefinitions: [
        Match.objectLike({
          ReadonlyRootFilesystem: true,
          PortMappings: [Match.objectLike({ ContainerPort: 4000 })],
          MountPoints: [
            { SourceVolume: "tmp", ContainerPath: "/tmp", ReadOnly: false },
            { SourceVolume: "data", ContainerPath: "/app/data", ReadOnly: false },
          ],
          HealthCheck: Match.objectLike({
            Command: ["CMD", "node", "-e", Match.stringLikeRegexp("/_health/live")],
          }),
        }),
      ],
    });
  });

  it("runs the image's own command, which resolves the secrets by ARN: no shell, no ECS secrets", () => {
    const [task] = Object.values(routeiq.templates.gateway.findResources("AWS::ECS::TaskDefinition"));
    const container = task?.Properties.ContainerDefinitions[0];
    expect(container.EntryPoint).toBeUndefined();
    expect(container.Command).toBeUndefined();
    expect(container.Secrets).toBeUndefined();
    expect(JSON.stringify(task)).not.toMatch(/no-verify|sh -c|"sh"/);
    const environment = Object.fromEntries(
      container.Environment.map(({ Name, Value }: { Name: string; Value: unknown }) => [Name, Value]),
    );
    expect(environment).toMatchObject({
      REDIS_TLS: "true",
      LITELLM_RUN_DB_MIGRATIONS: "false",
      PORT: "4000",
      // The Dockerfile's certs stage, built with RDS_CA_BUNDLE_URL (below).
      NODE_EXTRA_CA_CERTS: "/app/certs/rds-ca-bundle.pem",
      DATABASE_SSLMODE: "verify-full",
    });
    const providerKeys = routeiq.data.getLogicalId(
      routeiq.data.providerKeysSecret.node.defaultChild as never,
    );
    expect(JSON.stringify(environment.ROUTEIQ_ENV_SECRET_ARN)).toContain(providerKeys);
    expect(Object.keys(environment)).toEqual(
      expect.arrayContaining([
        "DATABASE_SECRET_ARN",
        "REDIS_PASSWORD_SECRET_ARN",
        "LITELLM_MASTER_KEY_SECRET_ARN",
        "DATABASE_HOST",
      ]),
    );
    for (const credential of ["DATABASE_PASSWORD", "REDIS_PASSWORD", "LITELLM_MASTER_KEY", "DATABASE_URL"]) {
      expect(Object.keys(environment)).not.toContain(credential);
    }
  });

  it("builds the image with the RDS CA bundle URL", () => {
    const manifest = JSON.parse(
      readFileSync(join(routeiq.app.outdir, `${routeiq.gateway.artifactId}.assets.json`), "utf8"),
    );
    const images = Object.values(manifest.dockerImages) as { source: { dockerBuildArgs?: object } }[];
    expect(images.map((image) => image.source.dockerBuildArgs)).toEqual([
      { RDS_CA_BUNDLE_URL: "https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem" },
    ]);
  });

  it("lets the task role, not the execution role, read the four secrets", () => {
    const task = (routeiq.gateway.gateway as FargateGateway).taskDefinition;
    const roleOf = (role: { node: IConstruct["node"] }) => ({
      Ref: routeiq.gateway.getLogicalId(role.node.defaultChild as never),
    });
    const policies = Object.values(routeiq.templates.gateway.findResources("AWS::IAM::Policy"));
    const statementsOf = (role: { node: IConstruct["node"] }) =>
      policies
        .filter((policy) => JSON.stringify(policy.Properties.Roles) === JSON.stringify([roleOf(role)]))
        .flatMap((policy) => policy.Properties.PolicyDocument.Statement);
    expect(statementsOf(task.taskRole)).toContainEqual(
      expect.objectContaining({
        Action: ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"],
        Resource: [expect.anything(), expect.anything(), expect.anything(), expect.anything()],
      }),
    );
    const executionRole = task.executionRole as { node: IConstruct["node"] };
    // It still pulls the image and writes logs.
    expect(statementsOf(executionRole).length).toBeGreaterThan(0);
    expect(JSON.stringify(statementsOf(executionRole))).not.toContain("secretsmanager:");
  });

  it("keeps at least two tasks across AZs, rolls back failed deployments, scales on CPU", () => {
    const { gateway } = routeiq.templates;
    gateway.hasResourceProperties("AWS::ECS::Service", {
      LaunchType: "FARGATE",
      DesiredCount: 2,
      DeploymentConfiguration: Match.objectLike({
        MinimumHealthyPercent: 100,
        DeploymentCircuitBreaker: { Enable: true, Rollback: true },
      }),
      NetworkConfiguration: { AwsvpcConfiguration: Match.objectLike({ AssignPublicIp: "DISABLED" }) },
    });
    const [service] = Object.values(gateway.findResources("AWS::ECS::Service"));
    expect(service?.Properties.NetworkConfiguration.AwsvpcConfiguration.Subnets).toHaveLength(2);
    gateway.hasResourceProperties("AWS::ApplicationAutoScaling::ScalableTarget", {
      MinCapacity: 2,
      MaxCapacity: 10,
    });
    gateway.hasResourceProperties("AWS::ApplicationAutoScaling::ScalingPolicy", {
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({
        PredefinedMetricSpecification: { PredefinedMetricType: "ECSServiceAverageCPUUtilization" },
      }),
    });
  });

  it("health-checks tasks on /_health/ready and drains them for the gateway's drain time", () => {
    routeiq.templates.gateway.hasResourceProperties("AWS::ElasticLoadBalancingV2::TargetGroup", {
      TargetType: "ip",
      Port: 4000,
      HealthCheckPath: "/_health/ready",
      TargetGroupAttributes: Match.arrayWith([{ Key: "deregistration_delay.timeout_seconds", Value: "30" }]),
    });
  });

  it("serves HTTPS with the certificate and redirects HTTP to it", () => {
    const { gateway } = routeiq.templates;
    gateway.hasResourceProperties("AWS::ElasticLoadBalancingV2::Listener", {
      Port: 443,
      Protocol: "HTTPS",
      Certificates: [{ CertificateArn: certificateArn }],
    });
    gateway.hasResourceProperties("AWS::ElasticLoadBalancingV2::Listener", {
      Port: 80,
      DefaultActions: [
        Match.objectLike({ Type: "redirect", RedirectConfig: Match.objectLike({ Port: "443" }) }),
      ],
    });
  });

  it("connects the tasks to PostgreSQL directly, as the gateway role, with no proxy", () => {
    const { network: stack, templates } = routeiq;
    const groups = stack.securityGroups;
    expect(groups.databaseProxy).toBeUndefined();
    templates.gateway.resourceCountIs("AWS::RDS::DBProxy", 0);
    const database = JSON.stringify({
      "Fn::GetAtt": [
        stack.getLogicalId(dataTierGroups(routeiq).database.node.defaultChild as never),
        "GroupId",
      ],
    });
    const sources = ingressRules(templates.network)
      .filter((rule) => JSON.stringify(rule.group) === database && rule.port === 5432)
      .map((rule) => JSON.stringify(rule.sourceGroup));
    expect(sources.sort()).toEqual(
      [groups.gateway, groups.sync, groups.migrate]
        .map((g) =>
          JSON.stringify({ "Fn::GetAtt": [stack.getLogicalId(g.node.defaultChild as never), "GroupId"] }),
        )
        .sort(),
    );
    const [task] = Object.values(routeiq.templates.gateway.findResources("AWS::ECS::TaskDefinition"));
    const environment = task?.Properties.ContainerDefinitions[0].Environment;
    const secretArn = environment.find((v: { Name: string }) => v.Name === "DATABASE_SECRET_ARN")?.Value;
    expect(JSON.stringify(secretArn)).toContain(roleSecretId(routeiq, "gateway"));
  });

  it("lets the tasks and sync out to HTTPS, PostgreSQL and Redis directly, and only the tasks to egressPorts", () => {
    const { network: stack, templates } = routeiq;
    const { gateway, sync, migrate } = stack.securityGroups;
    const named = { gateway, sync, migrate, ...dataTierGroups(routeiq) };
    const egress = (group: ISecurityGroup) => egressOf(stack, templates.network, group, named);
    expect(egress(gateway)).toEqual(
      [
        "tcp 443 to 0.0.0.0/0",
        "tcp 80 to 0.0.0.0/0",
        "tcp 8000 to 0.0.0.0/0",
        "tcp 5432 to database",
        "tcp 6379 to redis",
      ].sort(),
    );
    expect(egress(sync)).toEqual(["tcp 443 to 0.0.0.0/0", "tcp 5432 to database", "tcp 6379 to redis"]);
    expect(egress(migrate)).toEqual(["tcp 443 to 0.0.0.0/0", "tcp 5432 to database"]);
  });

  it("lets the gateway role publish too, since the tasks elect a leader that syncs", () => {
    expect(migrationRoles(routeiq)).toEqual([
      { secret_arn: expect.stringContaining(roleSecretId(routeiq, "gateway")), access: ["serve", "publish"] },
      { secret_arn: expect.stringContaining(roleSecretId(routeiq, "sync")), access: ["publish"] },
    ]);
  });

  it("starts the service only after the migration trigger, and has no gateway Lambda", () => {
    const { gateway } = routeiq.templates;
    const trigger = routeiq.gateway.getLogicalId(
      routeiq.gateway.migration.trigger.node.findChild("Trigger").node.defaultChild as never,
    );
    const service = routeiq.gateway.getLogicalId(
      (routeiq.gateway.gateway as FargateGateway).service.node.defaultChild as never,
    );
    expect(gateway.findResources("AWS::ECS::Service")[service]?.DependsOn).toContain(trigger);
    const handlers = Object.values(gateway.findResources("AWS::Lambda::Function")).map(
      (fn) => fn.Properties.Description,
    );
    expect(handlers.filter((description) => description === "RouteIQ gateway (ALB target)")).toEqual([]);
  });

  it("alarms without the Lambda-only ones and mails the given address", () => {
    const { gateway } = routeiq.templates;
    gateway.resourceCountIs("AWS::CloudWatch::Alarm", 6);
    gateway.hasResourceProperties("AWS::SNS::Subscription", {
      Protocol: "email",
      Endpoint: "ops@example.com",
    });
  });
});
