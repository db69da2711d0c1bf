import type * as elbv2 from "aws-cdk-lib/aws-elasticloadbalancingv2";
import * as wafv2 from "aws-cdk-lib/aws-wafv2";
import { Construct } from "constructs";

export interface WebAclProps {
  readonly loadBalancer: elbv2.IApplicationLoadBalancer;
  /** Requests per client IP per 5 minutes, any path. */
  readonly rateLimit: number;
  /** Requests per client IP per 5 minutes on the master-key routes. */
  readonly managementRateLimit: number;
  /** Block `/metrics` however its path is spelled. */
  readonly blockMetrics: boolean;
}

/**
 * The routes that take the master key (shared/app.ts): a tighter rate there slows guessing it and
 * floods of management calls, which each reach the database.
 */
export const MANAGEMENT_PATH_PREFIXES = Object.freeze([
  "/key/",
  "/team/",
  "/user/",
  "/spend/",
  "/global/",
  "/health",
  "/llmrouter/",
]);

/** Paths are compared as the gateway routes them: percent-decoded, dot segments and `//` removed. */
const AS_ROUTED: wafv2.CfnWebACL.TextTransformationProperty[] = [
  { priority: 0, type: "URL_DECODE" },
  { priority: 1, type: "NORMALIZE_PATH" },
];

/**
 * Managed rules that read the request body, counted instead of blocking: the body of an LLM call
 * is arbitrary text, and prompts routinely hold HTML, shell commands, file paths and code, or run
 * past the common rule set's 8 KB body limit.
 */
export const COUNTED_BODY_RULES = Object.freeze({
  AWSManagedRulesCommonRuleSet: [
    "SizeRestrictions_BODY",
    "CrossSiteScripting_BODY",
    "GenericLFI_BODY",
    "GenericRFI_BODY",
    "EC2MetaDataSSRF_BODY",
  ],
  AWSManagedRulesKnownBadInputsRuleSet: ["Log4JRCE_BODY", "JavaDeserializationRCE_BODY"],
} as const satisfies Record<string, readonly string[]>);

const visibility = (metricName: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
  cloudWatchMetricsEnabled: true,
  sampledRequestsEnabled: true,
  metricName,
});

const uriPath = (
  positionalConstraint: "STARTS_WITH" | "EXACTLY",
  searchString: string,
): wafv2.CfnWebACL.StatementProperty => ({
  byteMatchStatement: {
    fieldToMatch: { uriPath: {} },
    positionalConstraint,
    searchString,
    textTransformations: AS_ROUTED,
  },
});

/**
 * A WAF web ACL on the ALB (`-c waf=true`): Amazon's IP reputation list, a per-IP rate limit on
 * every path and a stricter one on the management API, `/metrics` blocked unless exposed, and
 * AWS's common and known-bad-input rule sets. Blocked requests get the ALB's 403.
 */
export class WebAcl extends Construct {
  public readonly acl: wafv2.CfnWebACL;

  constructor(scope: Construct, id: string, props: WebAclProps) {
    super(scope, id);
    const rules: wafv2.CfnWebACL.RuleProperty[] = [];
    const add = (
      name: string,
      rule: Omit<wafv2.CfnWebACL.RuleProperty, "name" | "priority" | "visibilityConfig">,
    ) => rules.push({ name, priority: rules.length, visibilityConfig: visibility(name), ...rule });

    const managed = (name: string, counted: readonly string[] = []) =>
      add(name, {
        overrideAction: { none: {} },
        statement: {
          managedRuleGroupStatement: {
            vendorName: "AWS",
            name,
            ...(counted.length === 0
              ? {}
              : { ruleActionOverrides: counted.map((rule) => ({ name: rule, actionToUse: { count: {} } })) }),
          },
        },
      });

    managed("AWSManagedRulesAmazonIpReputationList");
    add("ManagementRateLimit", {
      action: { block: {} },
      statement: {
        rateBasedStatement: {
          limit: props.managementRateLimit,
          aggregateKeyType: "IP",
          evaluationWindowSec: 300,
          scopeDownStatement: {
            orStatement: {
              statements: MANAGEMENT_PATH_PREFIXES.map((prefix) => uriPath("STARTS_WITH", prefix)),
            },
          },
        },
      },
    });
    add("RateLimit", {
      action: { block: {} },
      statement: {
        rateBasedStatement: { limit: props.rateLimit, aggregateKeyType: "IP", evaluationWindowSec: 300 },
      },
    });
    if (props.blockMetrics) {
      add("BlockMetrics", {
        action: { block: {} },
        statement: {
          orStatement: { statements: [uriPath("EXACTLY", "/metrics"), uriPath("STARTS_WITH", "/metrics/")] },
        },
      });
    }
    for (const [name, counted] of Object.entries(COUNTED_BODY_RULES)) managed(name, counted);

    this.acl = new wafv2.CfnWebACL(this, "Acl", {
      scope: "REGIONAL",
      defaultAction: { allow: {} },
      visibilityConfig: visibility("RouteIQ"),
      rules,
    });
    new wafv2.CfnWebACLAssociation(this, "Association", {
      resourceArn: props.loadBalancer.loadBalancerArn,
      webAclArn: this.acl.attrArn,
    });
  }
}
