import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { isIP, type LookupFunction } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UpstreamError } from "../../shared/errors";
import { outboundPolicy } from "../../shared/http/outbound-url-policy";
import { postUpstream } from "../../shared/providers/upstream-fetch";
import type { UpstreamHttp } from "./deps";
import { undiciUpstream } from "./undici-fetch";

/**
 * The Node gateway's upstream client refuses to connect where the outbound policy forbids, even
 * when the config named a harmless-looking host. DNS cannot be made to answer 169.254.169.254 on
 * this machine, so the test resolves names itself through the `lookup` the client takes.
 */
const HOSTS: Record<string, string[]> = {
  "upstream.test": ["127.0.0.1"],
  "metadata-rebound.test": ["169.254.169.254"],
  "mapped.test": ["::ffff:169.254.169.254"],
  "mixed.test": ["127.0.0.1", "169.254.169.254"],
};

const lookup: LookupFunction = (hostname, options, callback) => {
  const addresses = HOSTS[hostname];
  if (addresses === undefined)
    return callback(
      Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" }),
      "",
      0,
    );
  const [first = ""] = addresses;
  if (options.all)
    callback(
      null,
      addresses.map((address) => ({ address, family: isIP(address) })),
    );
  else callback(null, first, isIP(first));
};

let server: Server;
let port: number;
let requests = 0;
let upstream: UpstreamHttp;

beforeAll(async () => {
  server = createServer((_req, res) => {
    requests += 1;
    res.writeHead(200, { "content-type": "application/json" }).end("{}");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
  upstream = undiciUpstream({ connections: 4, outbound: outboundPolicy(undefined), lookup });
});

afterAll(async () => {
  await upstream?.close();
  await new Promise((resolve) => server?.close(resolve));
});

const post = (host: string) =>
  upstream.fetch(`http://${host}:${port}/v1/chat/completions`, { method: "POST", body: "{}" });

describe("the Node gateway's upstream connections", () => {
  it("connects to a host name that resolves to an ordinary address", async () => {
    const before = requests;
    expect((await post("upstream.test")).status).toBe(200);
    expect(requests).toBe(before + 1);
  });

  it("refuses a host name resolving to a metadata address, in any form, or among others", async () => {
    const before = requests;
    for (const host of ["metadata-rebound.test", "mapped.test", "mixed.test"]) {
      await expect(post(host)).rejects.toThrow(
        /^the upstream's address is link-local .*; allow it with ROUTEIQ_OUTBOUND_ALLOWLIST$/,
      );
    }
    expect(requests).toBe(before);
  });

  it("refuses an address written out, without trying to connect", async () => {
    for (const host of ["169.254.169.254", "[fe80::1]", "[fd00:ec2::254]"]) {
      await expect(post(host)).rejects.toThrow(/^the upstream's address is /);
    }
  });

  it("turns the refusal into an upstream failure naming the policy", async () => {
    const ctx = { fetch: upstream.fetch, signal: AbortSignal.timeout(5_000) };
    const error = await postUpstream(
      `http://metadata-rebound.test:${port}/v1/chat/completions`,
      {},
      "{}",
      ctx,
      "openai",
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect((error as UpstreamError).message).toMatch(
      /^openai: could not reach upstream \(the upstream's address is link-local/,
    );
  });
});
