import { Match } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import type { FargateGateway } from "../../infra/constructs/fargate-gateway";
import { type SynthesizedRouteIq, synthRouteIq } from "./synth-app";

const certificateArn = "arn:aws:acm:us-east-1:111111111111:certificate/00000000-0000-0000-0000-000000000000";

/** `gateway=fargate` with a certificate: the container variant behind HTTPS. */
let routeiq: SynthesizedRouteIq;
beforeAll(() => {
  routeiq = synthRouteIq({ gateway: "fargate", certificateArn, alarmEmail: "ops@example.com" });
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

  it("injects credentials as ECS secrets and never as plain environment", () => {
    const [task] = Object.values(routeiq.templates.gateway.findResources("AWS::ECS::TaskDefinition"));
    const container = task?.Properties.ContainerDefinitions[0];
    const secretNames = container.Secrets.map((secret: { Name: string }) => secret.Name);
    expect(secretNames).toEqual(
      expect.arrayContaining(["DATABASE_PASSWORD", "DATABASE_USER", "REDIS_PASSWORD", "LITELLM_MASTER_KEY"]),
    );
    const environment = Object.fromEntries(
      container.Environment.map(({ Name, Value }: { Name: string; Value: unknown }) => [Name, Value]),
    );
    expect(environment).toMatchObject({
      REDIS_TLS: "true",
      LITELLM_RUN_DB_MIGRATIONS: "false",
      PORT: "4000",
    });
    expect(Object.keys(environment)).not.toEqual(
      expect.arrayContaining(["DATABASE_PASSWORD", "REDIS_PASSWORD", "LITELLM_MASTER_KEY", "DATABASE_URL"]),
    );
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
