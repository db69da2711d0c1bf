import type { ALBEvent, ALBResult } from "aws-lambda";

const TARGET_GROUP =
  "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/routeiq/0123456789abcdef";

export interface AlbRequest {
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly query?: Readonly<Record<string, string>>;
  readonly body?: unknown;
  /** As a target group with multi-value headers on sends it: only the multiValue* fields. */
  readonly multiValue?: boolean;
}

/** The event an ALB sends its Lambda target, shaped like the ones in AWS's documentation. */
export function albEvent(path: string, request: AlbRequest = {}): ALBEvent {
  const headers: Record<string, string> = {
    host: "routeiq-alb-123456.eu-west-1.elb.amazonaws.com",
    "user-agent": "vitest",
    "x-amzn-trace-id": "Root=1-67891233-abcdef012345678912345678",
    "x-forwarded-for": "203.0.113.7",
    "x-forwarded-port": "443",
    "x-forwarded-proto": "https",
    ...(request.body === undefined ? {} : { "content-type": "application/json" }),
    ...request.headers,
  };
  const body = request.body === undefined ? null : JSON.stringify(request.body);
  const common = {
    requestContext: { elb: { targetGroupArn: TARGET_GROUP } },
    httpMethod: request.method ?? (body === null ? "GET" : "POST"),
    path,
    body: body ?? "",
    isBase64Encoded: false,
  };
  if (request.multiValue) {
    return {
      ...common,
      multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
      multiValueQueryStringParameters: Object.fromEntries(
        Object.entries(request.query ?? {}).map(([k, v]) => [k, [v]]),
      ),
    };
  }
  return { ...common, headers, queryStringParameters: { ...request.query } };
}

/** A header of a Lambda answer, whichever of the two shapes it came in. */
export function headerOf(result: ALBResult, name: string): string | undefined {
  const single = result.headers?.[name];
  if (single !== undefined) return String(single);
  const multi = result.multiValueHeaders?.[name];
  return multi === undefined ? undefined : multi.map(String).join(", ");
}

/** The answer's body as text (an ALB decodes a base64 body before the client sees it). */
export function bodyOf(result: ALBResult): string {
  const body = result.body ?? "";
  return result.isBase64Encoded ? Buffer.from(body, "base64").toString("utf8") : body;
}
