import { describe, expect, it } from "vitest";
import { DEV_MASTER_KEY } from "../../shared/config/master-key-rules";
import { isLoopback, listenHost } from "./listen-host";

describe("listenHost", () => {
  it("listens on every interface by default with a key of your own, or on HOST", () => {
    expect(listenHost(undefined, "sk-mine")).toBe("0.0.0.0");
    expect(listenHost("10.0.0.5", "sk-mine")).toBe("10.0.0.5");
    expect(listenHost(undefined, undefined)).toBe("0.0.0.0");
  });

  it("listens on loopback only by default while the public dev key is in force", () => {
    expect(listenHost(undefined, DEV_MASTER_KEY)).toBe("127.0.0.1");
    expect(listenHost("::1", DEV_MASTER_KEY)).toBe("::1");
    expect(listenHost("localhost", DEV_MASTER_KEY)).toBe("localhost");
  });

  it.each(["0.0.0.0", "::", "192.168.1.20", "gateway.internal"])(
    "refuses HOST=%s with the dev key, saying how to fix it",
    (host) => {
      expect(() => listenHost(host, DEV_MASTER_KEY)).toThrow(
        new RegExp(`^HOST=${host.replace(/\./g, "\\.")}: .*Set a master key of your own`),
      );
    },
  );

  it("never prints the key", () => {
    expect(() => listenHost("0.0.0.0", DEV_MASTER_KEY)).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining(DEV_MASTER_KEY) }),
    );
  });
});

describe("isLoopback", () => {
  it.each(["127.0.0.1", "127.8.9.10", "::1", "[::1]", "0:0:0:0:0:0:0:1", "::ffff:127.0.0.1", "localhost"])(
    "%s is loopback",
    (host) => expect(isLoopback(host)).toBe(true),
  );
  it.each(["0.0.0.0", "::", "10.0.0.1", "128.0.0.1", "example.com", ""])("%s is not", (host) =>
    expect(isLoopback(host)).toBe(false),
  );
});
