import { isIP, type LookupFunction } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { outboundPolicy } from "../../shared/http/outbound-url-policy";
import { guardBedrockConnections } from "../../shared/providers/bedrock/connections";
import { sdkRuntime } from "../../shared/providers/bedrock/sdk-runtime";
import { deployment } from "../../shared/router/test-fixtures";
import { type BedrockUpstream, startBedrockUpstream } from "../../test/support/bedrock-upstream";
import { guardedLookup } from "./outbound-connect";

/**
 * The AWS SDK opens its own connections, past the guarded `fetch` every other provider uses: on
 * the Node gateway a Bedrock endpoint from a config is checked at connect time too, so a host name
 * that resolves to a metadata address (DNS rebinding) is never connected to. The test resolves
 * names itself, as DNS cannot be made to answer 169.254.169.254 here.
 */
const HOSTS: Record<string, string> = {
  "bedrock.test": "127.0.0.1",
  "metadata-rebound.test": "169.254.169.254",
};
const lookup: LookupFunction = (hostname, options, callback) => {
  const address = HOSTS[hostname];
  if (address === undefined)
    return callback(
      Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" }),
      "",
      0,
    );
  if (options.all) callback(null, [{ address, family: isIP(address) }]);
  else callback(null, address, isIP(address));
};

let upstream: BedrockUpstream;
beforeAll(async () => {
  upstream = await startBedrockUpstream();
  guardBedrockConnections(guardedLookup(outboundPolicy(undefined), lookup));
});
afterAll(async () => {
  guardBedrockConnections(undefined);
  await upstream?.close();
});

const converse = (host: string) => {
  const d = deployment(`bedrock-${host}`, {
    provider: "bedrock",
    model: "amazon.nova-lite-v1:0",
    apiBase: `http://${host}:${new URL(upstream.url).port}`,
    params: { aws_region_name: "us-east-1", aws_access_key_id: "AKIDTEST", aws_secret_access_key: "secret" },
  });
  const input = { modelId: d.model, messages: [{ role: "user", content: [{ text: "hi" }] }] };
  return sdkRuntime(d).converse(input, { signal: AbortSignal.timeout(5_000) });
};

describe("Bedrock connections on the Node gateway", () => {
  it("reach an endpoint whose name resolves to an ordinary address", async () => {
    const before = upstream.requests.length;
    await expect(converse("bedrock.test")).resolves.toMatchObject({ stopReason: "end_turn" });
    expect(upstream.requests.length).toBe(before + 1);
  });

  it("never connect where the name resolves to a metadata address", async () => {
    const before = upstream.requests.length;
    await expect(converse("metadata-rebound.test")).rejects.toThrow(
      /the upstream's address is link-local .*; allow it with ROUTEIQ_OUTBOUND_ALLOWLIST/,
    );
    expect(upstream.requests.length).toBe(before);
  });
});
