import { describe, expect, it } from "vitest";
import { UpstreamError } from "../../errors";
import { toUpstreamError } from "./errors";

const ctx = (signal = new AbortController().signal) => ({ fetch, signal });

const sdkError = (
  name: string,
  status: number | undefined,
  message: string,
  headers: Record<string, string> = {},
) =>
  Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status }, $response: { headers } });

describe("toUpstreamError", () => {
  it("maps throttling and quota exceptions to 429, whatever status Bedrock used, with retry-after", () => {
    const throttled = toUpstreamError(
      sdkError("ThrottlingException", 429, "slow down", { "retry-after": "3" }),
      ctx(),
    );
    expect(throttled).toMatchObject({ kind: "http", status: 429, retryAfterMs: 3000 });
    const quota = toUpstreamError(sdkError("ServiceQuotaExceededException", 400, "quota"), ctx());
    expect(quota).toMatchObject({ status: 429, retryable: true });
    // Exception events in a stream are named in camel case.
    expect(toUpstreamError(sdkError("throttlingException", undefined, "slow"), ctx())).toMatchObject({
      status: 429,
    });
  });

  it("keeps client errors unretried and a too-long prompt a context-window failure", () => {
    expect(toUpstreamError(sdkError("ValidationException", 400, "bad field"), ctx())).toMatchObject({
      kind: "http",
      status: 400,
      retryable: false,
    });
    expect(
      toUpstreamError(sdkError("ValidationException", 400, "Input is too long for requested model."), ctx()),
    ).toMatchObject({
      kind: "context_window",
    });
    expect(toUpstreamError(sdkError("AccessDeniedException", 403, "no"), ctx())).toMatchObject({
      status: 403,
    });
    expect(toUpstreamError(sdkError("ModelStreamErrorException", undefined, "broke"), ctx())).toMatchObject({
      status: 502,
      retryable: true,
    });
  });

  it("makes credentials that cannot be had the deployment's 401, without the provider's message", () => {
    const error = toUpstreamError(
      Object.assign(new Error("profile 'x' has aws_secret_access_key=shh"), {
        name: "CredentialsProviderError",
      }),
      ctx(),
    );
    expect(error).toMatchObject({ kind: "http", status: 401 });
    expect(error.message).not.toContain("shh");
  });

  it("makes a dropped connection a retryable network failure, and keeps the reason of an abort", () => {
    const refused = toUpstreamError(
      Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }),
      ctx(),
    );
    expect(refused).toMatchObject({ kind: "network", status: 502, retryable: true });
    const controller = new AbortController();
    const timeout = new UpstreamError("timeout", 504, "too slow");
    controller.abort(timeout);
    expect(toUpstreamError(new Error("aborted"), ctx(controller.signal))).toBe(timeout);
  });
});
