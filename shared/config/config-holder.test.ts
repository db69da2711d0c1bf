import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { ConfigHolder } from "./config-holder";
import { ConfigError, loadConfig } from "./load";
import { DEV_MASTER_KEY, type ReloadRefusalReason, ReloadRefused } from "./master-key-rules";

const config = (masterKey?: string, model = "a") =>
  loadConfig(
    stringify({
      model_list: [{ model_name: model, litellm_params: { model: "mock/x" } }],
      ...(masterKey === undefined ? {} : { general_settings: { master_key: masterKey } }),
    }),
    {},
  ).config;

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
    h.reload("edit", () => config("sk-b", "b"), { origin: "file" });
    expect([...h.current().groups.keys()]).toEqual(["b"]);
    expect(h.origin).toMatchObject({ revision: 2, source: "edit" });
    h.reload("revision 7", () => config("sk-b", "c"), { revision: 7 });
    expect(h.origin.revision).toBe(7);
    expect(refused).toEqual([]);
  });

  it("never removes the master key: refuses, names the cause, counts it, and keeps the config in force", () => {
    const { h, refused } = holder("sk-a");
    const before = h.current();
    const error = refusal(() => h.reload("edit", () => config(undefined, "b")));
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
    h.reload("edit", () => config(undefined, "b"));
    h.reload("edit", () => config("sk-new"));
    expect(h.current().masterKey).toBe("sk-new");
    refusal(() => h.reload("edit", () => config(undefined)));
    expect(refused).toEqual(["master_key_removed"]);
  });

  it("counts an invalid config as refused, with the load's own error", () => {
    const { h, refused } = holder("sk-a");
    expect(() => h.reload("edit", () => loadConfig("", {}, "config.yaml").config)).toThrow("config is empty");
    expect(refused).toEqual(["invalid"]);
    expect(h.current().masterKey).toBe("sk-a");
  });

  it("refuses switching a gateway reachable beyond loopback to the public dev key", () => {
    const { h, refused } = holder("sk-a");
    const error = refusal(() => h.reload("edit", () => config(DEV_MASTER_KEY), { origin: "file" }));
    expect(error.reason).toBe("dev_master_key");
    expect(error.problems[0]).toContain("set a master key of your own");
    expect(h.current().masterKey).toBe("sk-a");
    expect(refused).toEqual(["dev_master_key"]);
  });

  it("allows the dev key on a loopback-only gateway, and keeps allowing it where it already serves", () => {
    const local = holder("sk-a", true);
    local.h.reload("edit", () => config(DEV_MASTER_KEY), { origin: "file" });
    expect(local.h.current().masterKey).toBe(DEV_MASTER_KEY);
    const already = holder(DEV_MASTER_KEY);
    already.h.reload("edit", () => config(DEV_MASTER_KEY, "b"));
    expect([...already.h.current().groups.keys()]).toEqual(["b"]);
    expect([...local.refused, ...already.refused]).toEqual([]);
  });

  it("never lets a synced config change the master key in force, unless the operator allows it", () => {
    const { h, refused } = holder("sk-a");
    const error = refusal(() => h.reload("revision 2", () => config("sk-attacker", "b")));
    expect(error.reason).toBe("master_key_changed");
    expect(error.problems[0]).toContain("ROUTEIQ_ALLOW_SYNCED_MASTER_KEY_CHANGE");
    expect(error.message).not.toContain("sk-attacker");
    expect(h.current().masterKey).toBe("sk-a");
    expect(refused).toEqual(["master_key_changed"]);
    // The same key, or the operator's own file, are fine.
    h.reload("revision 3", () => config("sk-a", "b"));
    h.reload("edit", () => config("sk-rotated"), { origin: "file" });
    const rotating = new ConfigHolder(config("sk-a"), "start", { allowSyncedKeyChange: true });
    rotating.reload("revision 2", () => config("sk-b"));
    expect([h.current().masterKey, rotating.current().masterKey]).toEqual(["sk-rotated", "sk-b"]);
  });
});
