import { describe, expect, it } from "vitest";
import { outboundPolicy } from "./outbound-url-policy";

const policy = outboundPolicy(undefined);

describe("outboundPolicy: URLs from configs", () => {
  it.each([
    "http://169.254.169.254/latest/meta-data/",
    "http://169.254.170.2/v2/credentials",
    "http://169.254.169.254./",
    "http://2852039166/",
    "http://0xa9fea9fe/",
    "http://0251.0376.0251.0376/",
    "http://169.254.43518/",
    "http://[::ffff:169.254.169.254]/",
    "http://[::ffff:a9fe:a9fe]/",
    "http://[64:ff9b::a9fe:a9fe]/",
    "http://[fe80::1]/",
    "http://[fd00:ec2::254]/",
    "http://[fd00:ec2::23]/",
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://METADATA.google.internal./",
    "http://metadata/",
    "http://0.0.0.0:8000/v1",
    "http://0/",
    "http://[::]/",
    "http://100.100.100.200/latest/meta-data/",
  ])("refuses %s", (url) => {
    expect(policy.refuseUrl(url)).toMatch(/ROUTEIQ_OUTBOUND_ALLOWLIST$/);
  });

  it.each([
    "https://api.openai.com/v1",
    "http://localhost:11434/v1",
    "http://127.0.0.1:8000/v1",
    "http://[::1]:8000/v1",
    "http://10.0.3.7:8000/v1",
    "http://172.16.0.9/v1",
    "http://192.168.1.20:1234/v1",
    "http://[fd12:3456::1]/v1",
    "https://my-resource.openai.azure.com",
  ])("lets %s through (public, loopback and private hosts are ordinary upstreams)", (url) => {
    expect(policy.refuseUrl(url)).toBeUndefined();
  });

  it("refuses schemes other than http and https", () => {
    expect(policy.refuseUrl("file:///etc/passwd")).toBe("only http and https URLs may be called");
    expect(policy.refuseUrl("ftp://example.com/")).toBe("only http and https URLs may be called");
  });

  it("lets through what ROUTEIQ_OUTBOUND_ALLOWLIST names: hosts, addresses and CIDRs", () => {
    const allowing = outboundPolicy(" metadata.google.internal, 169.254.170.2 ,fe80::/16");
    expect(allowing.refuseUrl("http://metadata.google.internal/")).toBeUndefined();
    expect(allowing.refuseUrl("http://169.254.170.2/v2/credentials")).toBeUndefined();
    expect(allowing.refuseUrl("http://[fe80::1]/")).toBeUndefined();
    expect(allowing.refuseUrl("http://169.254.169.254/")).toMatch(/^its host is link-local/);
  });

  it("refuses an allow list entry it cannot read, naming the variable", () => {
    expect(() => outboundPolicy("10.0.0.0/99")).toThrow(
      'ROUTEIQ_OUTBOUND_ALLOWLIST: "10.0.0.0/99" is not a valid CIDR',
    );
    expect(() => outboundPolicy("metadata:80")).toThrow(
      /^ROUTEIQ_OUTBOUND_ALLOWLIST: "metadata:80" is neither a host name/,
    );
  });
});

describe("outboundPolicy: connections to resolved addresses", () => {
  it("refuses a host name whose address is link-local or metadata, in any spelling", () => {
    for (const address of ["169.254.169.254", "::ffff:169.254.169.254", "fe80::1%eth0", "fd00:ec2::254"]) {
      expect(policy.refuseConnection("innocent.example.com", address)).toMatch(
        /^the upstream's address is .*; allow it with ROUTEIQ_OUTBOUND_ALLOWLIST$/,
      );
    }
  });

  it("lets public, loopback and private addresses through", () => {
    for (const address of ["93.184.216.34", "127.0.0.1", "::1", "10.1.2.3", "2606:4700::1111"]) {
      expect(policy.refuseConnection("upstream.example.com", address)).toBeUndefined();
    }
  });

  it("lets an allow-listed host name connect wherever it resolves", () => {
    const allowing = outboundPolicy("metadata.google.internal");
    expect(allowing.refuseConnection("metadata.google.internal", "169.254.169.254")).toBeUndefined();
    expect(allowing.refuseConnection("other.example.com", "169.254.169.254")).toBeDefined();
  });

  it("says which hosts the operator listed, in any case or with a trailing dot, never by range", () => {
    const policy = outboundPolicy(
      "Vertex-Proxy.internal, 10.0.0.0/8, https://api.example.com/v1, 192.168.1.7, [fd00::7]",
    );
    expect(policy.listsHost("vertex-proxy.internal.")).toBe(true);
    expect(policy.listsHost("api.example.com")).toBe(true);
    expect(policy.listsHost("192.168.1.7")).toBe(true);
    expect(policy.listsHost("[fd00::7]")).toBe(true);
    expect(policy.listsHost("192.168.1.8")).toBe(false);
    expect(policy.listsHost("10.0.0.5")).toBe(false);
    expect(policy.listsHost("other.internal")).toBe(false);
  });
});

describe("outboundPolicy with refusePrivate: URLs registered at runtime", () => {
  const strict = outboundPolicy(undefined, { refusePrivate: true });

  it.each([
    "http://127.0.0.1:8000/mcp",
    "http://2130706433/mcp",
    "http://0x7f000001/mcp",
    "http://0177.0.0.1/mcp",
    "http://127.1/mcp",
    "http://[::1]/mcp",
    "http://[::ffff:127.0.0.1]/mcp",
    "http://[::ffff:7f00:1]/mcp",
    "http://localhost:3000/mcp",
    "http://api.localhost/mcp",
    "http://10.0.3.7/mcp",
    "http://172.16.0.9/mcp",
    "http://192.168.1.20/mcp",
    "http://100.64.0.1/mcp",
    "http://[fd12:3456::1]/mcp",
    "http://169.254.169.254/latest/meta-data/",
    "http://metadata.google.internal/",
  ])("refuses %s", (url) => {
    expect(strict.refuseUrl(url)).toMatch(/ROUTEIQ_OUTBOUND_ALLOWLIST$/);
  });

  it("refuses a public name that resolves to a private or loopback address", () => {
    for (const address of ["127.0.0.1", "10.1.2.3", "::1", "::ffff:192.168.0.1", "fd00::1"]) {
      expect(strict.refuseConnection("innocent.example.com", address)).toBeDefined();
    }
    expect(strict.refuseConnection("innocent.example.com", "93.184.216.34")).toBeUndefined();
  });

  it("lets through what the allow list names, as hosts, URLs or CIDRs", () => {
    const allowing = outboundPolicy("127.0.0.1, https://mcp.internal.example:8443/mcp, 10.0.0.0/8", {
      refusePrivate: true,
    });
    expect(allowing.refuseUrl("http://127.0.0.1:9000/mcp")).toBeUndefined();
    expect(allowing.refuseConnection("mcp.internal.example", "10.9.9.9")).toBeUndefined();
    expect(allowing.refuseConnection("mcp.internal.example", "192.168.0.1")).toBeUndefined();
    expect(allowing.refuseUrl("http://10.2.3.4/mcp")).toBeUndefined();
    expect(allowing.refuseUrl("http://192.168.1.1/mcp")).toMatch(/private/);
    expect(allowing.refuseUrl("http://[::1]/mcp")).toMatch(/loopback/);
  });
});
