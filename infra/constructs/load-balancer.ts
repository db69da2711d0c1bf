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
  /**
   * An ACM certificate: HTTPS on 443 and a redirect on 80. Plain HTTP on 80 only when asked for
   * by name, since keys and prompts then cross the internet in clear.
   */
  readonly tls: { readonly certificateArn: string } | "plain-http";
  /** Forward `/metrics` to the gateway like any other path; by default the ALB answers 404. */
  readonly exposeMetrics: boolean;
}

/**
 * A path the gateway would route differently from how it reads: percent-encoded (`/%6Detrics`)
 * or with dot segments (`/v1/../metrics`), which URL parsing and the router resolve after the
 * ALB's rules have looked. No RouteIQ route has either, so the ALB refuses them outright, and its
 * path rules (the `/metrics` block) cannot be stepped around. Anchored at both ends so it holds
 * whether a pattern must match the whole path or any part of it.
 */
export const NON_CANONICAL_PATH = "^.*(%.*|/\\.\\.?(/.*)?)$";

/** The paths the ALB keeps to itself unless `exposeMetrics`. */
export const METRICS_PATHS = Object.freeze(["/metrics", "/metrics/*"]);

/** A path-pattern condition with regular expressions, which ListenerCondition has no factory for. */
class PathRegexCondition extends elbv2.ListenerCondition {
  constructor(private readonly patterns: readonly string[]) {
    super();
  }

  renderRawCondition() {
    return { field: "path-pattern", pathPatternConfig: { regexValues: [...this.patterns] } };
  }
}

/** The gateway's error shape (shared/http/error-handler.ts), so clients parse the ALB's refusals too. */
const errorResponse = (status: number, type: string, code: string, message: string) =>
  elbv2.ListenerAction.fixedResponse(status, {
    contentType: "application/json",
    messageBody: JSON.stringify({ error: { message, type, param: null, code } }),
  });

/**
 * The internet-facing ALB in the public subnets, one listener the gateway attaches to, access logs
 * kept. Its own rules answer before the gateway: non-canonical paths get 400 and `/metrics` 404.
 */
export class LoadBalancer extends Construct {
  public readonly alb: elbv2.ApplicationLoadBalancer;
  /** The listener clients' requests arrive on (HTTPS unless plain HTTP was asked for). */
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

    if (props.tls === "plain-http") {
      this.listener = this.alb.addListener("Http", { port: 80, open: false });
    } else {
      this.listener = this.alb.addListener("Https", {
        port: 443,
        open: false,
        certificates: [acm.Certificate.fromCertificateArn(this, "Certificate", props.tls.certificateArn)],
        sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
      });
      this.alb.addRedirect({ sourcePort: 80, targetPort: 443, open: false });
    }

    this.listener.addAction("RejectNonCanonicalPaths", {
      priority: 1,
      conditions: [new PathRegexCondition([NON_CANONICAL_PATH])],
      action: errorResponse(
        400,
        "invalid_request_error",
        "non_canonical_path",
        "the path must not be percent-encoded or hold . or .. segments",
      ),
    });
    if (!props.exposeMetrics) {
      this.listener.addAction("HideMetrics", {
        priority: 2,
        conditions: [elbv2.ListenerCondition.pathPatterns([...METRICS_PATHS])],
        action: errorResponse(404, "not_found_error", "route_not_found", "no route for this path"),
      });
    }
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
