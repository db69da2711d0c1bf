import { describe, expect, it } from "vitest";
import { addressGroup } from "./address-group";

describe("the address a sign-in counts against", () => {
  it("keeps an IPv4 address, mapped or not", () => {
    expect(addressGroup("203.0.113.7")).toBe("203.0.113.7");
    expect(addressGroup("::ffff:203.0.113.7")).toBe("203.0.113.7");
  });

  it("puts every address of one IPv6 /64 in one group, however it is written", () => {
    const group = addressGroup("2001:db8:1:2:aaaa:bbbb:cccc:dddd");
    expect(group).toBe("2001:db8:1:2::/64");
    expect(addressGroup("2001:0db8:0001:0002::1")).toBe(group);
    expect(addressGroup("2001:db8:1:2::ffff%eth0")).toBe(group);
    expect(addressGroup("2001:db8:1:3::1")).not.toBe(group);
    expect(addressGroup("::1")).toBe("0:0:0:0::/64");
  });
});
