import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { isIP, type LookupFunction } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { outboundPolicy } from "../../shared/http/outbound-url-policy";
import { boundedFetch } from "../../shared/registered-upstreams/bounded-fetch";
import type { UpstreamHttp } from "./deps";
import { guardedFetch } from "./guarded-fetch";

/**
 * What registered URLs (MCP servers, A2A agents) are fetched with: a table of hostile URLs is
 * refused before a connection is made, whatever spelling or DNS answer hides the address, and
 * redirects come back as they are. DNS cannot be made to lie on this machine, so names resolve
 * through the `lookup` the fetch takes.
 */
const HOSTS: Record<string, string[]> = {
  "public.test": ["93.184.216.34"],
  "loopback.test": ["127.0.0.1"],
  "private.test": ["10.0.0.7"],
  "metadata.test": ["169.254.169.254"],
  "mapped.test": ["::ffff:127.0.0.1"],
  "one-bad-answer.test": ["93.184.216.34", "127.0.0.1"],
};
const lookup: LookupFunction = (hostname, options, callback) => {
  const addresses = HOSTS[hostname];
  if (addresses === undefined)
    return callback(Object.assign(new Error("ENOTFOUND"), { code: "ENOTFOUND" }), "", 0);
  if (options.all)
    callback(
      null,
      addresses.map((address) => ({ address, family: isIP(address) })),
    );
  else callback(null, addresses[0] ?? "", isIP(addresses[0] ?? ""));
};

let server: Server;
let port: number;
let requests: string[] = [];
let strict: UpstreamHttp;
let loopbackAllowed: UpstreamHttp;

beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push(req.url ?? "");
    if (req.url === "/redirect-metadata")
      return void res.writeHead(302, { location: "http://169.254.169.254/latest" }).end();
    if (req.url === "/redirect-internal")
      return void res.writeHead(307, { location: `http://127.0.0.1:${port}/internal` }).end();
    if (req.url === "/big") return void res.writeHead(200).end("x".repeat(4096));
    if (req.url === "/slow") return void setTimeout(() => res.writeHead(200).end("late"), 2_000);
    res.writeHead(200).end("ok");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
  strict = guardedFetch({ outbound: outboundPolicy(undefined, { refusePrivate: true }), lookup });
  loopbackAllowed = guardedFetch({ outbound: outboundPolicy("127.0.0.1", { refusePrivate: true }), lookup });
});

afterAll(async () => {
  await strict?.close();
  await loopbackAllowed?.close();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
});

/** Why the fetch failed, as the gateway would see it. */
async function failure(http: UpstreamHttp, url: string): Promise<string> {
  try {
    await http.fetch(url);
    return "fetched";
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return `${cause?.code ?? ""} ${cause?.message ?? String(error)}`;
  }
}

describe("guardedFetch: registered URLs, checked at connect time", () => {
  it.each([
    ["loopback", () => `http://127.0.0.1:${port}/`],
    ["decimal loopback", () => `http://2130706433:${port}/`],
    ["hex loopback", () => `http://0x7f000001:${port}/`],
    ["octal loopback", () => `http://0177.0.0.1:${port}/`],
    ["short loopback", () => `http://127.1:${port}/`],
    ["IPv6-mapped loopback", () => `http://[::ffff:127.0.0.1]:${port}/`],
    ["a name resolving to loopback", () => `http://loopback.test:${port}/`],
    ["a name resolving to IPv6-mapped loopback", () => `http://mapped.test:${port}/`],
    ["a name resolving to a private address", () => `http://private.test:${port}/`],
    ["a name resolving to the metadata address", () => `http://metadata.test:${port}/`],
    ["a name with one refused address among its answers", () => `http://one-bad-answer.test:${port}/`],
    ["the metadata address", () => "http://169.254.169.254/latest/meta-data/"],
    ["the metadata address in decimal", () => "http://2852039166/"],
    ["the IPv6 metadata address", () => "http://[fd00:ec2::254]/"],
  ])("refuses %s without connecting", async (_what, url) => {
    requests = [];
    expect(await failure(strict, url())).toMatch(/ERR_OUTBOUND_REFUSED/);
    expect(requests).toEqual([]);
  });

  it("refuses a name that passed the URL check but resolves to loopback when connecting (rebinding)", async () => {
    const policy = outboundPolicy(undefined, { refusePrivate: true });
    const url = `http://loopback.test:${port}/`;
    expect(policy.refuseUrl(url)).toBeUndefined();
    requests = [];
    expect(await failure(strict, url)).toMatch(/ERR_OUTBOUND_REFUSED/);
    expect(requests).toEqual([]);
  });

  it("hands redirects back instead of following them", async () => {
    requests = [];
    const toMetadata = await loopbackAllowed.fetch(`http://127.0.0.1:${port}/redirect-metadata`);
    expect(toMetadata.status).toBe(302);
    const toInternal = await loopbackAllowed.fetch(`http://127.0.0.1:${port}/redirect-internal`, {
      method: "POST",
      body: "{}",
    });
    expect(toInternal.status).toBe(307);
    expect(requests).toEqual(["/redirect-metadata", "/redirect-internal"]);
  });

  it("reaches an allow-listed address", async () => {
    expect(await (await loopbackAllowed.fetch(`http://127.0.0.1:${port}/`)).text()).toBe("ok");
  });
});

describe("boundedFetch: time and size bounds on every upstream response", () => {
  it("cuts a body off past its size bound", async () => {
    const bounded = boundedFetch(loopbackAllowed.fetch, { headersTimeoutMs: 10_000, maxResponseBytes: 1024 });
    const response = await bounded(`http://127.0.0.1:${port}/big`);
    await expect(response.text()).rejects.toThrow(/exceeds 1024 bytes/);
    expect(await (await bounded(`http://127.0.0.1:${port}/`)).text()).toBe("ok");
  });

  it("gives up on an upstream that does not answer in time", async () => {
    const bounded = boundedFetch(loopbackAllowed.fetch, { headersTimeoutMs: 100, maxResponseBytes: 1024 });
    await expect(bounded(`http://127.0.0.1:${port}/slow`)).rejects.toThrow();
  });
});
