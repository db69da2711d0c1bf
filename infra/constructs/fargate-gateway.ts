import { Duration, Stack } from "aws-cdk-lib";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import * as ecrAssets from "aws-cdk-lib/aws-ecr-assets";
import * as ecs from "aws-cdk-lib/aws-ecs";
import * as elbv2 from "aws-cdk-lib/aws-elasticloadbalancingv2";
import * as logs from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";
import { type BedrockAccess, grantBedrockInvoke } from "./bedrock-access";
import { READY_PATH } from "./lambda-gateway";
import { GATEWAY_PORT } from "./security-groups";
import {
  grantStoreAccess,
  type StatefulResources,
  secretEnvironment,
  storeEnvironment,
  syncEnvironment,
} from "./stateful-resources";

export interface FargateGatewayProps {
  readonly vpc: ec2.IVpc;
  readonly securityGroup: ec2.ISecurityGroup;
  readonly listener: elbv2.ApplicationListener;
  readonly stores: StatefulResources;
  /** The directory holding the Dockerfile (the repository root). */
  readonly imageDirectory: string;
  readonly cpu: number;
  readonly memoryMiB: number;
  /** At least two, spread across AZs. */
  readonly minTasks: number;
  readonly maxTasks: number;
  /** Which Bedrock models the task role may invoke. */
  readonly bedrock: BedrockAccess;
}

/**
 * The certificate authorities of RDS in every region, which the Dockerfile fetches into the image
 * at build time (the Lambda runtime ships them; the Node image does not), and where it puts them.
 */
const RDS_CA_BUNDLE_URL = "https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem";
const RDS_CA_BUNDLE = "/app/certs/rds-ca-bundle.pem";

/** Node has fetch and the slim image has no curl. */
const LIVENESS_PROBE = `fetch('http://127.0.0.1:${GATEWAY_PORT}/_health/live').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`;

/**
 * The gateway as ECS Fargate tasks built from the repository's Dockerfile: true streaming and
 * long-lived pools, at least two tasks across AZs, rolled back automatically when a deployment
 * never becomes healthy, scaled on CPU.
 */
export class FargateGateway extends Construct {
  public readonly service: ecs.FargateService;
  public readonly taskDefinition: ecs.FargateTaskDefinition;
  public readonly targetGroup: elbv2.ApplicationTargetGroup;

  constructor(scope: Construct, id: string, props: FargateGatewayProps) {
    super(scope, id);
    const cluster = new ecs.Cluster(this, "Cluster", {
      vpc: props.vpc,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
    });
    const task = new ecs.FargateTaskDefinition(this, "Task", {
      cpu: props.cpu,
      memoryLimitMiB: props.memoryMiB,
      runtimePlatform: {
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
        cpuArchitecture: ecs.CpuArchitecture.X86_64,
      },
    });
    this.taskDefinition = task;
    // The root filesystem is read-only; these are the only writable paths (task ephemeral storage).
    task.addVolume({ name: "tmp" });
    task.addVolume({ name: "data" });

    const { stores } = props;
    const container = task.addContainer("Gateway", {
      image: ecs.ContainerImage.fromAsset(props.imageDirectory, {
        platform: ecrAssets.Platform.LINUX_AMD64,
        // .dockerignore already drops these; repeated so synth never stages them whatever it says.
        exclude: ["node_modules", "dist", "cdk.out", ".git", ".data"],
        buildArgs: { RDS_CA_BUNDLE_URL },
      }),
      readonlyRootFilesystem: true,
      portMappings: [{ containerPort: GATEWAY_PORT }],
      // The image's own command (node dist/gateway-node.mjs) resolves the secrets by ARN with the
      // task role, as the Lambda does, and verifies the database's certificate against the bundle.
      environment: {
        ...storeEnvironment(stores),
        ...syncEnvironment(stores),
        ...secretEnvironment(stores, "gateway"),
        NODE_EXTRA_CA_CERTS: RDS_CA_BUNDLE,
        DATABASE_SSLMODE: "verify-full",
        AWS_REGION: Stack.of(this).region,
        PORT: String(GATEWAY_PORT),
      },
      healthCheck: {
        command: ["CMD", "node", "-e", LIVENESS_PROBE],
        interval: Duration.seconds(15),
        timeout: Duration.seconds(5),
        retries: 3,
        startPeriod: Duration.seconds(30),
      },
      // Longer than the gateway's 30 s drain, so SIGTERM lets in-flight requests finish.
      stopTimeout: Duration.seconds(45),
      logging: ecs.LogDrivers.awsLogs({
        streamPrefix: "gateway",
        logGroup: new logs.LogGroup(this, "Logs", { retention: logs.RetentionDays.ONE_MONTH }),
      }),
    });
    container.addMountPoints(
      { sourceVolume: "tmp", containerPath: "/tmp", readOnly: false },
      { sourceVolume: "data", containerPath: "/app/data", readOnly: false },
    );
    grantStoreAccess(stores, task.taskRole, "gateway");
    grantBedrockInvoke(this, task.taskRole, props.bedrock);

    this.service = new ecs.FargateService(this, "Service", {
      cluster,
      taskDefinition: task,
      desiredCount: props.minTasks,
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      circuitBreaker: { enable: true, rollback: true },
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      securityGroups: [props.securityGroup],
      assignPublicIp: false,
    });
    this.service
      .autoScaleTaskCount({ minCapacity: props.minTasks, maxCapacity: props.maxTasks })
      .scaleOnCpuUtilization("Cpu", { targetUtilizationPercent: 60 });

    this.targetGroup = props.listener.addTargets("Gateway", {
      port: GATEWAY_PORT,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targets: [this.service],
      // Matches the gateway's drain: a deregistered task finishes what it started.
      deregistrationDelay: Duration.seconds(30),
      healthCheck: {
        path: READY_PATH,
        interval: Duration.seconds(10),
        timeout: Duration.seconds(5),
        healthyThresholdCount: 2,
        unhealthyThresholdCount: 3,
      },
    });
  }
}
