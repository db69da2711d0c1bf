import { describe, expect, it } from "vitest";
import { holderId, parseElectionSettings } from "./election-settings";

describe("parseElectionSettings", () => {
  it("is on by default exactly when DATABASE_URL is set, with a 30 s lease renewed every 10 s", () => {
    const defaults = { leaseSeconds: 30, renewIntervalSeconds: 10, lockName: "config_sync" };
    expect(parseElectionSettings({ DATABASE_URL: "postgres://db/routeiq" })).toEqual({
      enabled: true,
      ...defaults,
    });
    expect(parseElectionSettings({})).toEqual({ enabled: false, ...defaults });
    expect(parseElectionSettings({ DATABASE_URL: "" })).toEqual({ enabled: false, ...defaults });
  });

  it("reads explicit values", () => {
    const settings = parseElectionSettings({
      LLMROUTER_CONFIG_SYNC_LEADER_ELECTION_ENABLED: "1",
      LLMROUTER_CONFIG_SYNC_LEASE_SECONDS: "12.5",
      LLMROUTER_CONFIG_SYNC_RENEW_INTERVAL_SECONDS: "4",
      LLMROUTER_CONFIG_SYNC_LOCK_NAME: "config_sync_eu",
    });
    expect(settings).toEqual({
      enabled: true,
      leaseSeconds: 12.5,
      renewIntervalSeconds: 4,
      lockName: "config_sync_eu",
    });
  });

  it("lets the switch override the DATABASE_URL default either way", () => {
    const off = {
      DATABASE_URL: "postgres://db/routeiq",
      LLMROUTER_CONFIG_SYNC_LEADER_ELECTION_ENABLED: "false",
    };
    expect(parseElectionSettings(off).enabled).toBe(false);
    expect(
      parseElectionSettings({ ...off, LLMROUTER_CONFIG_SYNC_LEADER_ELECTION_ENABLED: "0" }).enabled,
    ).toBe(false);
    expect(parseElectionSettings({ LLMROUTER_CONFIG_SYNC_LEADER_ELECTION_ENABLED: "true" }).enabled).toBe(
      true,
    );
  });

  it("refuses values that are not switches or positive numbers, naming the variable", () => {
    expect(() => parseElectionSettings({ LLMROUTER_CONFIG_SYNC_LEADER_ELECTION_ENABLED: "maybe" })).toThrow(
      /LLMROUTER_CONFIG_SYNC_LEADER_ELECTION_ENABLED/,
    );
    expect(() => parseElectionSettings({ LLMROUTER_CONFIG_SYNC_LEASE_SECONDS: "0" })).toThrow(
      /LLMROUTER_CONFIG_SYNC_LEASE_SECONDS/,
    );
    expect(() => parseElectionSettings({ LLMROUTER_CONFIG_SYNC_RENEW_INTERVAL_SECONDS: "soon" })).toThrow(
      /LLMROUTER_CONFIG_SYNC_RENEW_INTERVAL_SECONDS/,
    );
  });

  it("refuses a renew interval that is not shorter than the lease, naming both variables", () => {
    for (const renew of ["30", "45"]) {
      const parse = () =>
        parseElectionSettings({
          LLMROUTER_CONFIG_SYNC_LEASE_SECONDS: "30",
          LLMROUTER_CONFIG_SYNC_RENEW_INTERVAL_SECONDS: renew,
        });
      expect(parse).toThrow(
        /LLMROUTER_CONFIG_SYNC_RENEW_INTERVAL_SECONDS.*LLMROUTER_CONFIG_SYNC_LEASE_SECONDS/,
      );
    }
    // The default lease is 30 s: a renew interval of 40 s alone is just as wrong.
    expect(() => parseElectionSettings({ LLMROUTER_CONFIG_SYNC_RENEW_INTERVAL_SECONDS: "40" })).toThrow(
      /LLMROUTER_CONFIG_SYNC_LEASE_SECONDS/,
    );
  });
});

describe("holderId", () => {
  it("is the host name plus a random six-character suffix", () => {
    expect(holderId("gateway-1")).toMatch(/^gateway-1-[a-z0-9]{6}$/);
    expect(holderId("gateway-1", () => 0)).toBe("gateway-1-aaaaaa");
    expect(holderId("gateway-1", () => 0.999_999)).toBe("gateway-1-999999");
  });

  it("differs between two processes on the same host", () => {
    expect(holderId("gateway-1")).not.toBe(holderId("gateway-1"));
  });
});
