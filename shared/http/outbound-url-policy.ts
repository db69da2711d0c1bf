import ipaddr from "ipaddr.js";

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/**
 * What no outbound call may reach unless allow-listed: where clouds serve instance metadata and
 * role credentials, and "this host" spellings. Loopback and private ranges stay reachable: a model
 * server on localhost or in the VPC is a normal deployment.
 */
const REFUSED_RANGES = Object.freeze(
  (
    [
      ["169.254.0.0/16", "link-local (cloud metadata: 169.254.169.254, ECS 169.254.170.2)"],
      ["100.100.100.200/32", "Alibaba Cloud's metadata address"],
      ["0.0.0.0/8", "an unspecified address"],
      ["fe80::/10", "link-local"],
      ["fd00:ec2::/32", "AWS's instance metadata and EKS Pod Identity (fd00:ec2::254, ::23)"],
      ["::/128", "an unspecified address"],
    ] as const
  ).map(([cidr, why]) => Object.freeze({ range: ipaddr.parseCIDR(cidr), why })),
);

const REFUSED_HOSTS: ReadonlySet<string> = new Set(["metadata.google.internal", "metadata"]);

/**
 * Refused as well for URLs registered at runtime (MCP servers, A2A agents): whoever may register
 * one must not reach the gateway's own host or the network behind it through it.
 */
const PRIVATE_RANGES = Object.freeze(
  (
    [
      ["127.0.0.0/8", "loopback"],
      ["10.0.0.0/8", "a private address"],
      ["172.16.0.0/12", "a private address"],
      ["192.168.0.0/16", "a private address"],
      ["100.64.0.0/10", "a carrier-grade NAT address"],
      ["::1/128", "loopback"],
      ["fc00::/7", "a unique-local address"],
    ] as const
  ).map(([cidr, why]) => Object.freeze({ range: ipaddr.parseCIDR(cidr), why })),
);

const isLocalhostName = (host: string): boolean => host === "localhost" || host.endsWith(".localhost");

const ALLOWED_PROTOCOLS: ReadonlySet<string> = new Set(["http:", "https:"]);

export const OUTBOUND_ALLOWLIST = "ROUTEIQ_OUTBOUND_ALLOWLIST";
/** `true`: URLs registered at runtime may reach loopback and private ranges (metadata stays refused). */
export const OUTBOUND_ALLOW_PRIVATE = "LLMROUTER_OUTBOUND_ALLOW_PRIVATE";

export interface OutboundPolicyOptions {
  /** Refuse loopback, private, CGNAT and unique-local addresses and `localhost` too (default false). */
  readonly refusePrivate?: boolean;
}

export interface OutboundPolicy {
  /** Why `url` may not be called (its scheme, or a host written as a refused name or address), else undefined. */
  refuseUrl(url: string): string | undefined;
  /** Why `hostname` may not be connected to at `address` (what DNS gave for it), else undefined. */
  refuseConnection(hostname: string, address: string): string | undefined;
  /**
   * Whether the operator listed `hostname` itself: a host name entry, or an address entry for an
   * address written as the host. A range never lists a host: it allows connections, not trust.
   */
  listsHost(hostname: string): boolean;
}

/** A host with no trailing dot, lower case, IPv6 without brackets: how URLs and lookups differ. */
const bareHost = (host: string): string =>
  host
    .toLowerCase()
    .replace(/\.+$/, "")
    .replace(/^\[(.*)\]$/, "$1");

/** IPv4 hidden in IPv6 (`::ffff:169.254.169.254`, NAT64's `64:ff9b::/96`) is judged as IPv4. */
function unwrap(address: Address): Address {
  if (address.kind() === "ipv6") {
    const v6 = address as ipaddr.IPv6;
    if (v6.isIPv4MappedAddress()) return v6.toIPv4Address();
    if (v6.range() === "rfc6052" || v6.range() === "rfc6145")
      return new ipaddr.IPv4(v6.toByteArray().slice(12));
  }
  return address;
}

function parseAddress(text: string): Address | undefined {
  const bare = bareHost(text).replace(/%.*$/, "");
  return ipaddr.isValid(bare) ? unwrap(ipaddr.parse(bare)) : undefined;
}

const inRange = (address: Address, [network, bits]: [Address, number]): boolean =>
  address.kind() === network.kind() && address.match(network, bits);

/**
 * The outbound policy for URLs taken from configs (`api_base`) and registered at runtime (MCP
 * servers, A2A agents: `refusePrivate`), with `allowlist` (ROUTEIQ_OUTBOUND_ALLOWLIST:
 * comma-separated hosts, URLs, addresses or CIDRs) let through. Addresses are compared as numbers,
 * so decimal, hex, octal and IPv4-mapped spellings of a refused address are refused too. Throws on
 * an allow-list entry that is not a host, URL, address or CIDR.
 */
export function outboundPolicy(
  allowlist: string | undefined,
  { refusePrivate = false }: OutboundPolicyOptions = {},
): OutboundPolicy {
  const refused = refusePrivate ? [...REFUSED_RANGES, ...PRIVATE_RANGES] : REFUSED_RANGES;
  const hosts = new Set<string>();
  const ranges: [Address, number][] = [];
  for (const entry of (allowlist ?? "").split(",").map((e) => e.trim())) {
    if (entry === "") continue;
    if (entry.includes("://")) {
      const host = URL.canParse(entry) ? new URL(entry).hostname : "";
      if (host === "") throw new Error(`${OUTBOUND_ALLOWLIST}: "${entry}" is not a valid URL`);
      const address = parseAddress(host);
      if (address !== undefined) ranges.push([address, address.kind() === "ipv4" ? 32 : 128]);
      else hosts.add(bareHost(host));
    } else if (entry.includes("/")) {
      if (!ipaddr.isValidCIDR(entry))
        throw new Error(`${OUTBOUND_ALLOWLIST}: "${entry}" is not a valid CIDR`);
      ranges.push(ipaddr.parseCIDR(entry));
    } else {
      const address = parseAddress(entry);
      if (address !== undefined) ranges.push([address, address.kind() === "ipv4" ? 32 : 128]);
      else if (/^[a-z0-9.-]+$/i.test(entry)) hosts.add(bareHost(entry));
      else throw new Error(`${OUTBOUND_ALLOWLIST}: "${entry}" is neither a host name, an address nor a CIDR`);
    }
  }
  const refuseAddress = (text: string): string | undefined => {
    const address = parseAddress(text);
    if (address === undefined || ranges.some((range) => inRange(address, range))) return undefined;
    return refused.find(({ range }) => inRange(address, range))?.why;
  };
  const refuseHost = (host: string): string | undefined => {
    const bare = bareHost(host);
    if (hosts.has(bare)) return undefined;
    if (REFUSED_HOSTS.has(bare)) return "a cloud metadata host name";
    if (refusePrivate && isLocalhostName(bare)) return "loopback";
    return refuseAddress(bare);
  };
  const allowHint = `; allow it with ${OUTBOUND_ALLOWLIST}`;
  return {
    refuseUrl(url) {
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch {
        return "not a URL";
      }
      if (!ALLOWED_PROTOCOLS.has(parsed.protocol)) return "only http and https URLs may be called";
      const why = refuseHost(parsed.hostname);
      return why === undefined ? undefined : `its host is ${why}${allowHint}`;
    },
    refuseConnection(hostname, address) {
      if (hosts.has(bareHost(hostname))) return undefined;
      const why = refuseHost(hostname) ?? refuseAddress(address);
      // The host name is left out: it may be the value of an os.environ/ reference.
      return why === undefined ? undefined : `the upstream's address is ${why}${allowHint}`;
    },
    listsHost(hostname) {
      const bare = bareHost(hostname);
      const address = parseAddress(bare);
      const single = (range: [ipaddr.IPv4 | ipaddr.IPv6, number]) =>
        range[1] === (range[0].kind() === "ipv4" ? 32 : 128);
      return (
        hosts.has(bare) || (address !== undefined && ranges.some((r) => single(r) && inRange(address, r)))
      );
    },
  };
}

/**
 * The policy for URLs registered at runtime (MCP servers, A2A agents), from the environment:
 * private ranges refused unless LLMROUTER_OUTBOUND_ALLOW_PRIVATE=true, the allow list honoured.
 */
export function registeredUrlPolicy(env: Readonly<Record<string, string | undefined>>): OutboundPolicy {
  const allowPrivate = env[OUTBOUND_ALLOW_PRIVATE]?.trim().toLowerCase() === "true";
  return outboundPolicy(env[OUTBOUND_ALLOWLIST], { refusePrivate: !allowPrivate });
}
