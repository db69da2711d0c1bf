import { Match } from "aws-cdk-lib/assertions";
import { Hono } from "hono";
import { handle, type LambdaEvent } from "hono/aws-lambda";
import { beforeAll, describe, expect, it } from "vitest";
import { COUNTED_BODY_RULES, MANAGEMENT_PATH_PREFIXES } from "../../infra/constructs/web-acl";
import { type SynthesizedRouteIq, synthRouteIq } from "./synth-app";

const certificateArn = "arn:aws:acm:us-east-1:111111111111:certificate/00000000-0000-0000-0000-000000000000";

/** HTTPS with the WAF on; plain HTTP asked for by name, with /metrics exposed. */
let secured: SynthesizedRouteIq;
let plain: SynthesizedRouteIq;
beforeAll(() => {
  secured = synthRouteIq({ certificateArn, waf: true, wafManagementRateLimit: 50 });
  plain = synthRouteIq({ allowPlainHttp: "true", exposeMetrics: "true" });
}, 180_000);

interface RawRule {
  readonly Priority: number;
  readonly Conditions: { Field: string; PathPatternConfig: { Values?: string[]; RegexValues?: string[] } }[];
  readonly Actions: { Type: string; FixedResponseConfig?: { StatusCode: string; MessageBody: string } }[];
}

const listenerRules = (routeiq: SynthesizedRouteIq): RawRule[] =>
  Object.values(routeiq.templates.gateway.findResources("AWS::ElasticLoadBalancingV2::ListenerRule"))
    .map((rule) => rule.Properties as RawRule)
    .sort((a, b) => a.Priority - b.Priority);

/** A path-pattern value as the ALB reads it: `*` any run of characters, `?` exactly one. */
const wildcard = (pattern: string) =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replaceAll("*", ".*")
      .replaceAll("?", ".")}$`,
  );

/**
 * The status the ALB answers itself for `path`, or undefined when it forwards it. A regex must
 * match the whole path, the stricter of the two readings, so the rules hold under either.
 */
function albAnswer(rules: readonly RawRule[], path: string): number | undefined {
  for (const rule of rules) {
    const matches = rule.Conditions.every((condition) => {
      const { Values = [], RegexValues = [] } = condition.PathPatternConfig;
      return (
        Values.some((value) => wildcard(value).test(path)) ||
        RegexValues.some((value) => new RegExp(`^(?:${value})$`).test(path))
      );
    });
    const action = rule.Actions.at(-1);
    if (matches && action?.Type === "fixed-response") return Number(action.FixedResponseConfig?.StatusCode);
  }
  return undefined;
}

/** What the gateway Lambda's adapter routes an ALB event for `path` to: Hono behind hono/aws-lambda. */
const router = new Hono();
router.get("/metrics", (c) => c.text("metrics"));
const serve = handle(router);
const reachesMetrics = async (path: string) => {
  const event = {
    requestContext: { elb: { targetGroupArn: "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/x/y" } },
    httpMethod: "GET",
    path,
    queryStringParameters: {},
    headers: { host: "alb.example" },
    body: "",
    isBase64Encoded: false,
  } satisfies LambdaEvent;
  return (await serve(event)).body === "metrics";
};

/** Spellings a client can send that URL parsing or the router may turn into /metrics. */
const METRICS_SPELLINGS = [
  "/metrics",
  "/metrics/",
  "/metrics/x",
  "/%6detrics",
  "/%6Detrics",
  "/metric%73",
  "/%2Fmetrics",
  "/./metrics",
  "/x/../metrics",
  "/v1/../metrics",
  "/%2e/metrics",
  "/%2E%2E/metrics",
  "/.%2e/metrics",
  "/x/%2e%2e/metrics",
  "/metrics/.",
  "/metrics/x/..",
  "//metrics",
  "/METRICS",
  "/metrics;",
  "/metrics%00",
];

describe("ALB listeners", () => {
  it("refuses to synth a public HTTP-only listener unless allowPlainHttp is given", () => {
    expect(() => synthRouteIq({})).toThrow(/certificateArn[\s\S]*allowPlainHttp=true/);
    expect(() => synthRouteIq({ allowPlainHttp: "false" })).toThrow(/certificateArn/);
  });

  it("serves plain HTTP on port 80 only when asked for by name", () => {
    const listeners = Object.values(
      plain.templates.gateway.findResources("AWS::ElasticLoadBalancingV2::Listener"),
    );
    expect(listeners.map((listener) => [listener.Properties.Port, listener.Properties.Protocol])).toEqual([
      [80, "HTTP"],
    ]);
    expect(listeners[0]?.Properties.DefaultActions).toEqual([expect.objectContaining({ Type: "forward" })]);
  });

  it("answers /metrics itself, however the path is spelled", async () => {
    const rules = listenerRules(secured);
    const reaching: string[] = [];
    for (const path of METRICS_SPELLINGS) if (await reachesMetrics(path)) reaching.push(path);
    // Not vacuous: encoded and dotted spellings do reach /metrics past a plain path rule.
    expect(reaching).toEqual(expect.arrayContaining(["/metrics", "/%6Detrics", "/x/../metrics"]));
    for (const path of reaching) expect([400, 404], path).toContain(albAnswer(rules, path));
    expect(albAnswer(rules, "/metrics")).toBe(404);
    const hide = rules.find((rule) => rule.Actions[0]?.FixedResponseConfig?.StatusCode === "404");
    expect(JSON.parse(hide?.Actions[0]?.FixedResponseConfig?.MessageBody ?? "{}")).toMatchObject({
      error: { type: "not_found_error", code: "route_not_found" },
    });
  });

  it("forwards every real route untouched", () => {
    const rules = listenerRules(secured);
    for (const path of [
      "/v1/chat/completions",
      "/chat/completions",
      "/v1/messages",
      "/v1/models",
      "/key/generate",
      "/key/info",
      "/team/list",
      "/global/spend/models",
      "/health",
      "/_health/ready",
      "/llmrouter/config/sync/status",
      "/metricsx",
    ]) {
      expect(albAnswer(rules, path), path).toBeUndefined();
    }
  });

  it("forwards /metrics with exposeMetrics, still refusing encoded paths", () => {
    const rules = listenerRules(plain);
    expect(albAnswer(rules, "/metrics")).toBeUndefined();
    expect(albAnswer(rules, "/%6Detrics")).toBe(400);
    expect(albAnswer(rules, "/x/../key/list")).toBe(400);
  });
});

describe("WAF", () => {
  it("is off unless asked for", () => {
    plain.templates.gateway.resourceCountIs("AWS::WAFv2::WebACL", 0);
  });

  it("guards the ALB with AWS managed rules and per-IP rate limits, stricter on management", () => {
    const { gateway } = secured.templates;
    const [aclId, acl] = Object.entries(gateway.findResources("AWS::WAFv2::WebACL"))[0] ?? [];
    expect(acl?.Properties).toMatchObject({ Scope: "REGIONAL", DefaultAction: { Allow: {} } });
    const alb = secured.gateway.getLogicalId(secured.gateway.loadBalancer.alb.node.defaultChild as never);
    gateway.hasResourceProperties("AWS::WAFv2::WebACLAssociation", {
      ResourceArn: { Ref: alb },
      WebACLArn: { "Fn::GetAtt": [aclId, "Arn"] },
    });

    const rules: { Name: string; Statement: Record<string, never> }[] = acl?.Properties.Rules;
    const byName = new Map(rules.map((rule) => [rule.Name, rule.Statement] as const));
    const management = byName.get("ManagementRateLimit") as unknown as {
      RateBasedStatement: { Limit: number; AggregateKeyType: string; ScopeDownStatement: unknown };
    };
    expect(management.RateBasedStatement).toMatchObject({ Limit: 50, AggregateKeyType: "IP" });
    const scope = JSON.stringify(management.RateBasedStatement.ScopeDownStatement);
    for (const prefix of MANAGEMENT_PATH_PREFIXES) expect(scope).toContain(`"SearchString":"${prefix}"`);
    expect(byName.get("RateLimit")).toMatchObject({
      RateBasedStatement: { Limit: 3000, AggregateKeyType: "IP" },
    });

    // Matched as routed: decoded and normalized, so no spelling of /metrics gets past.
    const metrics = JSON.stringify(byName.get("BlockMetrics"));
    expect(metrics).toContain('"SearchString":"/metrics"');
    expect(metrics).toContain('{"Priority":0,"Type":"URL_DECODE"},{"Priority":1,"Type":"NORMALIZE_PATH"}');

    for (const [group, counted] of Object.entries(COUNTED_BODY_RULES)) {
      expect(byName.get(group)).toMatchObject({
        ManagedRuleGroupStatement: {
          VendorName: "AWS",
          Name: group,
          RuleActionOverrides: counted.map((name) => ({ Name: name, ActionToUse: { Count: {} } })),
        },
      });
    }
    expect(byName.get("AWSManagedRulesAmazonIpReputationList")).toMatchObject({
      ManagedRuleGroupStatement: { VendorName: "AWS" },
    });
    gateway.hasResourceProperties("AWS::WAFv2::WebACL", {
      Rules: Match.arrayWith([Match.objectLike({ Name: "RateLimit", Action: { Block: {} } })]),
    });
  });
});
