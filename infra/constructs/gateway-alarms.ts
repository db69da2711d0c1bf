import { Duration } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as actions from "aws-cdk-lib/aws-cloudwatch-actions";
import * as elbv2 from "aws-cdk-lib/aws-elasticloadbalancingv2";
import * as iam from "aws-cdk-lib/aws-iam";
import * as kms from "aws-cdk-lib/aws-kms";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import * as sns from "aws-cdk-lib/aws-sns";
import * as subscriptions from "aws-cdk-lib/aws-sns-subscriptions";
import { Construct } from "constructs";

export interface GatewayAlarmsProps {
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  readonly targetGroup: elbv2.ApplicationTargetGroup;
  readonly syncFunction: lambda.IFunction;
  readonly syncRateMinutes: number;
  /** The Lambda gateway, for errors and throttles; absent on Fargate. */
  readonly gatewayFunction?: lambda.IFunction;
  /** Default: no subscription (subscribe to the topic later). */
  readonly email?: string;
}

/** p99 latency above this for 15 minutes is worth a look; LLM completions are slow but not this slow. */
const P99_LATENCY_SECONDS = 60;

/**
 * Alarms on what clients feel (5xx, p99 latency, no healthy targets) and on the parts they do not
 * see until it is too late (sync failing, the Lambda gateway erroring or throttled). Every alarm
 * notifies one encrypted SNS topic.
 */
export class GatewayAlarms extends Construct {
  public readonly topic: sns.Topic;
  public readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: GatewayAlarmsProps) {
    super(scope, id);
    // A customer-managed key: CloudWatch cannot publish to a topic under the AWS-managed SNS key.
    const key = new kms.Key(this, "TopicKey", {
      enableKeyRotation: true,
      description: "RouteIQ alarm topic",
    });
    key.grant(new iam.ServicePrincipal("cloudwatch.amazonaws.com"), "kms:Decrypt", "kms:GenerateDataKey*");
    this.topic = new sns.Topic(this, "Topic", {
      displayName: "RouteIQ alarms",
      masterKey: key,
      enforceSSL: true,
    });
    if (props.email !== undefined)
      this.topic.addSubscription(new subscriptions.EmailSubscription(props.email));

    const fiveMinutes = Duration.minutes(5);
    const { loadBalancer, targetGroup } = props;
    this.add("LoadBalancer5xx", "The ALB itself answered 5xx (no healthy target, target timeout or crash)", {
      metric: loadBalancer.metrics.httpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT, { period: fiveMinutes }),
      threshold: 10,
      evaluationPeriods: 1,
    });
    this.add(
      "Target5xx",
      "The gateway answered 5xx: upstream providers failing after retries and fallbacks",
      {
        metric: targetGroup.metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, {
          period: fiveMinutes,
        }),
        threshold: 25,
        evaluationPeriods: 1,
      },
    );
    this.add("ResponseTimeP99", `p99 target response time above ${P99_LATENCY_SECONDS} s`, {
      metric: targetGroup.metrics.targetResponseTime({ statistic: "p99", period: fiveMinutes }),
      threshold: P99_LATENCY_SECONDS,
      evaluationPeriods: 3,
    });
    this.add("UnhealthyTargets", "A gateway target fails /_health/ready (database or Redis unreachable)", {
      metric: targetGroup.metrics.unhealthyHostCount({ statistic: "Maximum", period: Duration.minutes(1) }),
      threshold: 1,
      evaluationPeriods: 3,
    });

    const sync = props.syncFunction;
    const syncWindow = Duration.minutes(Math.max(15, props.syncRateMinutes * 3));
    this.add("SyncErrors", "Config sync runs are failing (see the sync function's log)", {
      metric: sync.metricErrors({ period: syncWindow }),
      threshold: 3,
      evaluationPeriods: 1,
    });
    this.add(
      "NoSuccessfulSync",
      "No config sync succeeded in the window: revisions are not being published",
      {
        metric: new cloudwatch.MathExpression({
          expression: "FILL(invocations, 0) - FILL(errors, 0)",
          usingMetrics: {
            invocations: sync.metricInvocations({ period: syncWindow }),
            errors: sync.metricErrors({ period: syncWindow }),
          },
          label: "successful syncs",
          period: syncWindow,
        }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: 1,
        // No invocations at all (a disabled schedule) is the same failure.
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      },
    );

    const gateway = props.gatewayFunction;
    if (gateway === undefined) return;
    this.add("GatewayErrors", "The gateway Lambda failed invocations (crash, timeout, bad environment)", {
      metric: gateway.metricErrors({ period: fiveMinutes }),
      threshold: 5,
      evaluationPeriods: 1,
    });
    this.add("GatewayThrottles", "Gateway invocations are throttled: raise concurrency or the reservation", {
      metric: gateway.metricThrottles({ period: fiveMinutes }),
      threshold: 1,
      evaluationPeriods: 1,
    });
  }

  private add(
    id: string,
    description: string,
    options: Omit<cloudwatch.AlarmProps, "alarmDescription" | "comparisonOperator" | "treatMissingData"> &
      Partial<Pick<cloudwatch.AlarmProps, "comparisonOperator" | "treatMissingData">>,
  ): void {
    const alarm = new cloudwatch.Alarm(this, id, {
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      ...options,
      alarmDescription: description,
    });
    alarm.addAlarmAction(new actions.SnsAction(this.topic));
    alarm.addOkAction(new actions.SnsAction(this.topic));
    this.alarms.push(alarm);
  }
}
