import { Duration, Stack } from "aws-cdk-lib";
import * as acm from "aws-cdk-lib/aws-certificatemanager";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import * as elbv2 from "aws-cdk-lib/aws-elasticloadbalancingv2";
import * as iam from "aws-cdk-lib/aws-iam";
import * as s3 from "aws-cdk-lib/aws-s3";
import { FactName } from "aws-cdk-lib/region-info";
import { Construct } from "constructs";
import { privateBucketDefaults } from "./config-bucket";

export interface LoadBalancerProps {
  readonly vpc: ec2.IVpc;
  /** Opens 80/443 to clients; its rules live with the other groups in the network stack. */
  readonly securityGroup: ec2.ISecurityGroup;
  /** Seconds a connection may sit idle; must cover a slow, non-streamed completion. */
  readonly idleTimeoutSeconds: number;
  /** An ACM certificate: HTTPS on 443 and a redirect on 80. Default: plain HTTP on 80. */
  readonly certificateArn?: string;
}

/** The internet-facing ALB in the public subnets, one listener the gateway attaches to, access logs kept. */
export class LoadBalancer extends Construct {
  public readonly alb: elbv2.ApplicationLoadBalancer;
  /** The listener clients' requests arrive on (HTTPS when a certificate is given). */
  public readonly listener: elbv2.ApplicationListener;
  public readonly accessLogs: s3.Bucket;

  constructor(scope: Construct, id: string, props: LoadBalancerProps) {
    super(scope, id);
    // ALB access logs only support SSE-S3, which privateBucketDefaults uses.
    this.accessLogs = new s3.Bucket(this, "AccessLogs", {
      ...privateBucketDefaults,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ expiration: Duration.days(90) }],
    });
    this.alb = new elbv2.ApplicationLoadBalancer(this, "Alb", {
      vpc: props.vpc,
      internetFacing: true,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      securityGroup: props.securityGroup,
      dropInvalidHeaderFields: true,
      idleTimeout: Duration.seconds(props.idleTimeoutSeconds),
    });
    this.logAccessLogs("alb");

    if (props.certificateArn === undefined) {
      this.listener = this.alb.addListener("Http", { port: 80, open: false });
      return;
    }
    this.listener = this.alb.addListener("Https", {
      port: 443,
      open: false,
      certificates: [acm.Certificate.fromCertificateArn(this, "Certificate", props.certificateArn)],
      sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
    });
    this.alb.addRedirect({ sourcePort: 80, targetPort: 443, open: false });
  }

  /**
   * `alb.logAccessLogs()` needs the region at synth time to pick the ELB principal. These stacks are
   * region-agnostic, so the bucket admits both: the region's ELB account (older regions; resolved
   * through a mapping at deploy time) and the log-delivery service principal (newer regions).
   */
  private logAccessLogs(prefix: string): void {
    const stack = Stack.of(this);
    const objects = this.accessLogs.arnForObjects(`${prefix}/AWSLogs/${stack.account}/*`);
    const elbAccount = stack.regionalFact(FactName.ELBV2_ACCOUNT, stack.account);
    this.accessLogs.addToResourcePolicy(
      new iam.PolicyStatement({
        actions: ["s3:PutObject"],
        principals: [
          new iam.AccountPrincipal(elbAccount),
          new iam.ServicePrincipal("logdelivery.elasticloadbalancing.amazonaws.com"),
        ],
        resources: [objects],
      }),
    );
    this.alb.setAttribute("access_logs.s3.enabled", "true");
    this.alb.setAttribute("access_logs.s3.bucket", this.accessLogs.bucketName);
    this.alb.setAttribute("access_logs.s3.prefix", prefix);
    // The ALB checks it may write to the bucket when logging is switched on.
    if (this.accessLogs.policy !== undefined) this.alb.node.addDependency(this.accessLogs.policy);
  }
}
