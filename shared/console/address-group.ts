/**
 * The address a sign-in counts against: an IPv4 address as it is (IPv4-mapped IPv6 included), an
 * IPv6 address by its /64, since one client is usually handed a whole /64 and could otherwise
 * take a fresh address for every guess. Anything else (no address known) is its own group.
 */
export function addressGroup(address: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (mapped !== null) return mapped[1] as string;
  if (!address.includes(":")) return address;
  const bare = address.split("%")[0] as string;
  const [head = "", tail] = bare.split("::");
  const left = head === "" ? [] : head.split(":");
  const right = tail === undefined || tail === "" ? [] : tail.split(":");
  const zeros = tail === undefined ? [] : Array.from({ length: 8 - left.length - right.length }, () => "0");
  const groups = [...left, ...zeros, ...right].slice(0, 4).map((g) => Number.parseInt(g, 16).toString(16));
  return `${groups.join(":")}::/64`;
}
