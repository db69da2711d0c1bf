import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { silentLogger } from "../logging/logger";
import { ConfigHolder } from "./config-holder";
import { configWarningsOnce } from "./config-warnings";
import { ConfigError, loadConfig } from "./load";
import { DEV_MASTER_KEY, type ReloadRefusalReason, ReloadRefused } from "./master-key-rules";

const loaded = (masterKey?: string, model = "a") =>
  loadConfig(
    stringify({
      model_list: [{ model_name: model, litellm_params: { model: "mock/x" } }],
      ...(masterKey === undefined ? {} : { general_settings: { master_key: masterKey } }),
    }),
    {},
  );
const config = (masterKey?: string, model = "a") => loaded(masterKey, model).config;

function holder(masterKey: string | undefined, loopbackOnly = false) {
  const refused: ReloadRefusalReason[] = [];
  const h = new ConfigHolder(config(masterKey), "start", {
    exposure: { loopbackOnly },
    onRefused: (reason) => refused.push(reason),
  });
  return { h, refused };
}

const refusal = (run: () => unknown): ReloadRefused => {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ReloadRefused);
    return error as ReloadRefused;
  }
  throw new Error("expected the reload to be refused");
};

describe("ConfigHolder.reload", () => {
  it("swaps in a valid config and numbers the revision", () => {
    const { h, refused } = holder("sk-a");
    h.reload("edit", () => loaded("sk-b", "b"), { origin: "file" });
    expect([...h.current().groups.keys()]).toEqual(["b"]);
    expect(h.origin).toMatchObject({ revision: 2, source: "edit" });
    h.reload("revision 7", () => loaded("sk-b", "c"), { revision: 7 });
    expect(h.origin.revision).toBe(7);
    expect(refused).toEqual([]);
  });

  it("never removes the master key: refuses, names the cause, counts it, and keeps the config in force", () => {
    const { h, refused } = holder("sk-a");
    const before = h.current();
    const error = refusal(() => h.reload("edit", () => loaded(undefined, "b")));
    expect(error.reason).toBe("master_key_removed");
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.problems[0]).toMatch(
      /^general_settings\.master_key: missing .* a reload never removes authentication/,
    );
    expect(error.message).not.toContain("sk-a");
    expect(h.current()).toBe(before);
    expect(h.origin.revision).toBe(1);
    expect(refused).toEqual(["master_key_removed"]);
  });

  it("lets a gateway that runs open on purpose gain a key, and then never lose it again", () => {
    const { h, refused } = holder(undefined);
    h.reload("edit", () => loaded(undefined, "b"));
    h.reload("edit", () => loaded("sk-new"));
    expect(h.current().masterKey).toBe("sk-new");
    refusal(() => h.reload("edit", () => loaded(undefined)));
    expect(refused).toEqual(["master_key_removed"]);
  });

  it("counts an invalid config as refused, with the load's own error", () => {
    const { h, refused } = holder("sk-a");
    expect(() => h.reload("edit", () => loadConfig("", {}, "config.yaml"))).toThrow("config is empty");
    expect(refused).toEqual(["invalid"]);
    expect(h.current().masterKey).toBe("sk-a");
  });

  it("refuses switching a gateway reachable beyond loopback to the public dev key", () => {
    const { h, refused } = holder("sk-a");
    const error = refusal(() => h.reload("edit", () => loaded(DEV_MASTER_KEY), { origin: "file" }));
    expect(error.reason).toBe("dev_master_key");
    expect(error.problems[0]).toContain("set a master key of your own");
    expect(h.current().masterKey).toBe("sk-a");
    expect(refused).toEqual(["dev_master_key"]);
  });

  it("allows the dev key on a loopback-only gateway, and keeps allowing it where it already serves", () => {
    const local = holder("sk-a", true);
    local.h.reload("edit", () => loaded(DEV_MASTER_KEY), { origin: "file" });
    expect(local.h.current().masterKey).toBe(DEV_MASTER_KEY);
    const already = holder(DEV_MASTER_KEY);
    already.h.reload("edit", () => loaded(DEV_MASTER_KEY, "b"));
    expect([...already.h.current().groups.keys()]).toEqual(["b"]);
    expect([...local.refused, ...already.refused]).toEqual([]);
  });

  it("never lets a synced config change the master key in force, unless the operator allows it", () => {
    const { h, refused } = holder("sk-a");
    const error = refusal(() => h.reload("revision 2", () => loaded("sk-attacker", "b")));
    expect(error.reason).toBe("master_key_changed");
    expect(error.problems[0]).toContain("ROUTEIQ_ALLOW_SYNCED_MASTER_KEY_CHANGE");
    expect(error.message).not.toContain("sk-attacker");
    expect(h.current().masterKey).toBe("sk-a");
    expect(refused).toEqual(["master_key_changed"]);
    // The same key, or the operator's own file, are fine.
    h.reload("revision 3", () => loaded("sk-a", "b"));
    h.reload("edit", () => loaded("sk-rotated"), { origin: "file" });
    const rotating = new ConfigHolder(config("sk-a"), "start", { allowSyncedKeyChange: true });
    rotating.reload("revision 2", () => loaded("sk-b"));
    expect([h.current().masterKey, rotating.current().masterKey]).toEqual(["sk-rotated", "sk-b"]);
  });
});

describe("ConfigHolder: ignored keys", () => {
  const withIgnored = (keys: Record<string, unknown>, model = "a") =>
    loadConfig(
      stringify({
        model_list: [{ model_name: model, litellm_params: { model: "mock/x" } }],
        general_settings: { master_key: "sk-a" },
        router_settings: keys,
      }),
      {},
    );

  it("are warned once per process, with what to use instead, however often a reload repeats them", () => {
    const lines: { message: string; fields: Record<string, unknown> }[] = [];
    const logger = {
      ...silentLogger,
      warn: (message: string, fields: Record<string, unknown> = {}) => lines.push({ message, fields }),
    };
    const warnings = configWarningsOnce(logger);
    const first = withIgnored({ redis_host: "redis.internal" });
    warnings("config.yaml", first.warnings);
    const h = new ConfigHolder(first.config, "config.yaml", { warnings });
    h.reload("config.yaml", () => withIgnored({ redis_host: "redis.internal" }, "b"));
    h.reload("revision 3", () => withIgnored({ redis_host: "redis.internal", retry_policy: {} }, "c"));
    h.reload("revision 4", () => withIgnored({ redis_host: "redis.internal", retry_policy: {} }, "d"));
    expect(lines.map((l) => l.fields.detail)).toEqual([
      "router_settings.redis_host: not used by RouteIQ, ignored; RouteIQ's Redis is set by REDIS_URL (or REDIS_HOST, REDIS_PORT, REDIS_PASSWORD) in the gateway's environment",
      "router_settings.retry_policy: not used by RouteIQ, ignored; use router_settings.num_retries and fallbacks",
    ]);
    expect(lines.map((l) => l.fields.path)).toEqual(["config.yaml", "revision 3"]);
  });

  it("of a refused config are not warned about", () => {
    const said: string[] = [];
    const h = new ConfigHolder(config("sk-a"), "start", { warnings: (_, w) => said.push(...w) });
    expect(() =>
      h.reload("edit", () => {
        const next = withIgnored({ redis_host: "x" });
        return { ...next, config: { ...next.config, masterKey: undefined } };
      }),
    ).toThrow(ReloadRefused);
    expect(said).toEqual([]);
  });

  it("never lets a synced config let unverified keys through a database outage", () => {
    const withUnverified = (allow: boolean) =>
      loadConfig(
        stringify({
          model_list: [{ model_name: "a", litellm_params: { model: "mock/x" } }],
          general_settings: { master_key: "sk-a", allow_requests_on_db_unavailable: allow },
        }),
        {},
      );
    const { h, refused } = holder("sk-a");
    const error = refusal(() => h.reload("revision 2", () => withUnverified(true)));
    expect(error.reason).toBe("unverified_keys");
    expect(h.current().keyCache.allowUnverified).toBe(false);
    expect(refused).toEqual(["unverified_keys"]);
    // The operator's own file may, and a synced config may keep what the process started with.
    h.reload("edit", () => withUnverified(true), { origin: "file" });
    h.reload("revision 3", () => withUnverified(true));
    expect(h.current().keyCache.allowUnverified).toBe(true);
  });
});
