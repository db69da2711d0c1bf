import { Validations } from "aws-cdk-lib";
import type { IConstruct } from "constructs";
import type { DataStack } from "./stacks/data-stack";
import type { GatewayStack } from "./stacks/gateway-stack";
import type { NetworkStack } from "./stacks/network-stack";

const LAMBDA_BASIC =
  "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]";
const LAMBDA_VPC =
  "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]";

const acknowledge = (scope: IConstruct, id: string, reason: string) =>
  Validations.of(scope).acknowledge({ id, reason });

/**
 * The cdk-nag (AwsSolutions) findings accepted on purpose, each on the one construct it concerns
 * and with its reason. Anything not listed here fails `cdk synth` and test/infra/cdk-nag.test.ts.
 */
export function applyNagSuppressions({
  network,
  data,
  gateway,
}: {
  network: NetworkStack;
  data: DataStack;
  gateway: GatewayStack;
}): void {
  acknowledge(
    network.securityGroups.loadBalancer,
    "AwsSolutions-EC23",
    "The ALB is the public API endpoint; it accepts 80/443 from anywhere and authenticates by API key.",
  );

  acknowledge(
    data.masterKeySecret,
    "AwsSolutions-SMG4",
    "The master key is given to operators; rotating it silently would lock them out.",
  );
  acknowledge(
    data.providerKeysSecret,
    "AwsSolutions-SMG4",
    "Provider API keys are issued and rotated by each provider; operators write the new key with put-secret-value.",
  );
  // With external stores (`state=external`) there is no RDS, ElastiCache or generated role secret;
  // the operator's URL secrets are imported, not created here.
  const { database, redis } = data;
  if (database !== undefined) {
    acknowledge(
      // The generated secret; `database.secret` is its attachment to the instance.
      database.instance.node.findChild("Secret"),
      "AwsSolutions-SMG4",
      "Rotation would break pooled connections and ECS tasks holding the old password; rotate on a planned redeploy.",
    );
    for (const secret of Object.values(database.roleSecrets)) {
      acknowledge(
        secret,
        "AwsSolutions-SMG4",
        "The migration sets the role's password from this secret; a rotation would change the secret but not the role, locking the gateway or sync out. Change it by putting a new value and invoking the migration function (output MigrationFunctionName).",
      );
    }
    acknowledge(
      database.instance,
      "AwsSolutions-RDS11",
      "A non-default port is obscurity; only the gateway, sync and migration security groups can reach it.",
    );
  }
  if (redis !== undefined) {
    acknowledge(
      redis.authSecret,
      "AwsSolutions-SMG4",
      "An ElastiCache AUTH token rotates through ModifyReplicationGroup (ROTATE then SET), which a secret rotation cannot drive.",
    );
    acknowledge(
      redis.replicationGroup,
      "AwsSolutions-AEC5",
      "A non-default port is obscurity; only the gateway and sync security groups can reach it.",
    );
  }
  // rds cloudwatchLogsRetention creates CDK's LogRetention singleton Lambda.
  const logRetention = data.node.children.find((child) => child.node.id.startsWith("LogRetention"));
  if (logRetention !== undefined) {
    acknowledge(logRetention, LAMBDA_BASIC, "CDK's LogRetention provider (internal): writes its own logs.");
    acknowledge(
      logRetention,
      "AwsSolutions-IAM5[Resource::*]",
      "CDK's LogRetention provider (internal): log group names are only known at deploy time.",
    );
  }

  acknowledge(
    gateway.loadBalancer.accessLogs,
    "AwsSolutions-S1",
    "This is the ALB access-log bucket; logging its own accesses to itself would loop.",
  );
  const functions = [gateway.sync.function, gateway.migration.trigger];
  if ("function" in gateway.gateway) functions.push(gateway.gateway.function);
  for (const fn of functions) {
    acknowledge(fn, LAMBDA_BASIC, "AWS's minimal policy for writing the function's own CloudWatch logs.");
    acknowledge(fn, LAMBDA_VPC, "AWS's minimal policy for managing the ENIs of a function in a VPC.");
  }
  const gatewayRole =
    "function" in gateway.gateway ? gateway.gateway.function : gateway.gateway.taskDefinition;
  if (gateway.bedrock.kind === "all") {
    for (const resource of [
      "arn:<AWS::Partition>:bedrock:*::foundation-model/*",
      "arn:<AWS::Partition>:bedrock:*:<AWS::AccountId>:inference-profile/*",
      "arn:<AWS::Partition>:bedrock:*:<AWS::AccountId>:application-inference-profile/*",
    ]) {
      acknowledge(
        gatewayRole,
        `AwsSolutions-IAM5[Resource::${resource}]`,
        "Invoke only, on models and this account's inference profiles: which models a config names is not known at deploy time, and a cross-region profile invokes the model in several regions. bedrockModelArns narrows it to listed ARNs.",
      );
    }
  }
  if ("taskDefinition" in gateway.gateway) {
    const task = gateway.gateway.taskDefinition;
    acknowledge(
      task,
      "AwsSolutions-IAM5[Resource::*]",
      "ecr:GetAuthorizationToken has no resource-level permissions; image pulls are scoped to the asset repository.",
    );
    acknowledge(
      task,
      "AwsSolutions-ECS2",
      "The environment holds only non-secret locations, settings and secret ARNs; the gateway reads the credentials from Secrets Manager at start.",
    );
  }
}
