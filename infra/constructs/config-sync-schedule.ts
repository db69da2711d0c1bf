import { Duration } from "aws-cdk-lib";
import type * as ec2 from "aws-cdk-lib/aws-ec2";
import * as events from "aws-cdk-lib/aws-events";
import * as eventTargets from "aws-cdk-lib/aws-events-targets";
import * as lambda from "aws-cdk-lib/aws-lambda";
import { Construct } from "constructs";
import { SYNC_POOL_MAX } from "../connection-budget";
import {
  grantStoreAccess,
  lambdaSecretEnvironment,
  type StatefulResources,
  storeEnvironment,
  syncEnvironment,
} from "./stateful-resources";
import { vpcFunctionProps } from "./vpc-function";

export interface ConfigSyncScheduleProps {
  readonly vpc: ec2.IVpc;
  readonly securityGroup: ec2.ISecurityGroup;
  readonly stores: StatefulResources;
  /** The `sync/` asset directory from infra/bundle.mjs. */
  readonly assetDir: string;
  readonly rateMinutes: number;
}

/**
 * One config sync per tick (EventBridge → Lambda): take the lease, fetch config and routing model
 * from S3 if changed, validate, publish a revision the gateways pick up. A failed or refused run
 * throws, so it shows in the function's Errors metric.
 */
export class ConfigSyncSchedule extends Construct {
  public readonly function: lambda.Function;
  public readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: ConfigSyncScheduleProps) {
    super(scope, id);
    this.function = new lambda.Function(this, "Function", {
      ...vpcFunctionProps(this, "Function", {
        assetDir: props.assetDir,
        vpc: props.vpc,
        securityGroup: props.securityGroup,
        memorySize: 512,
        // A run that outlives its lease is harmless: its stale fencing token makes the publish fail.
        timeout: Duration.seconds(60),
        description: "RouteIQ scheduled config sync",
        environment: {
          ...storeEnvironment(props.stores),
          ...syncEnvironment(props.stores),
          ...lambdaSecretEnvironment(props.stores, "sync"),
          DATABASE_POOL_MAX: String(SYNC_POOL_MAX),
        },
      }),
      // The next tick is the retry; retrying a stale tick as well would only contend for the lease.
      retryAttempts: 0,
    });
    grantStoreAccess(props.stores, this.function, "sync");
    this.rule = new events.Rule(this, "Schedule", {
      description: "RouteIQ config sync tick",
      schedule: events.Schedule.rate(Duration.minutes(props.rateMinutes)),
      targets: [new eventTargets.LambdaFunction(this.function, { retryAttempts: 0 })],
    });
  }
}
