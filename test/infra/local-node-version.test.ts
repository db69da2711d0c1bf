import { describe, expect, it } from "vitest";
import { nodeVersionNotice, SDK_WARNING_OFF } from "../../infra/local/node-version";

describe("ha:local's Node version notice", () => {
  it("on Node 20 says once which Node the AWS SDK will need, and turns the SDK's per-process warning off", () => {
    const notice = nodeVersionNotice("v20.20.2", {});
    expect(notice?.message).toContain("Node v20.20.2");
    expect(notice?.message).toContain("Node >= 22");
    expect(notice?.env).toEqual({ [SDK_WARNING_OFF]: "true" });
  });

  it("says nothing on a Node the SDK supports", () => {
    expect(nodeVersionNotice("v22.0.0", {})).toBeUndefined();
    expect(nodeVersionNotice("v24.11.1", {})).toBeUndefined();
  });

  it("says nothing when the SDK's warning was already turned off", () => {
    expect(nodeVersionNotice("v20.20.2", { [SDK_WARNING_OFF]: "true" })).toBeUndefined();
  });
});
