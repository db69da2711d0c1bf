import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { ConfigError, loadConfig } from "../config/load";

const load = (generalSettings: Record<string, unknown>) =>
  loadConfig(stringify({ general_settings: { master_key: "sk-m", ...generalSettings } }), {}, "test.yaml");

describe("general_settings for stored responses", () => {
  it("default to a day's TTL, 4 MiB a conversation and 256 MiB a key, without warnings", () => {
    const { config, warnings } = load({});
    expect(config.responses).toEqual({
      ttlMs: 86_400_000,
      maxConversationChars: 4 * 1024 * 1024,
      quotaChars: 256 * 1024 * 1024,
    });
    expect(warnings).toEqual([]);
  });

  it("read seconds and MiB, and refuse a TTL past 30 days (it becomes a Redis expiry)", () => {
    const { config } = load({
      responses_store_ttl: 600,
      responses_max_conversation_mb: 0.5,
      responses_store_mb_per_key: 10,
    });
    expect(config.responses).toEqual({
      ttlMs: 600_000,
      maxConversationChars: 524_288,
      quotaChars: 10_485_760,
    });
    expect(() => load({ responses_store_ttl: 31 * 86_400 })).toThrow(ConfigError);
    expect(() => load({ responses_max_conversation_mb: 0 })).toThrow(ConfigError);
  });
});
