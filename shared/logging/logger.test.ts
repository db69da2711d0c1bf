import { describe, expect, it } from "vitest";
import { jsonLogger, logLevelFrom } from "./logger";

describe("jsonLogger", () => {
  it("writes nothing below its level", () => {
    const lines: string[] = [];
    const logger = jsonLogger((line) => lines.push(line), "warn");
    logger.debug("d");
    logger.info("i");
    logger.warn("w", { n: 1 });
    logger.error("e");
    expect(lines.map((line) => JSON.parse(line).message)).toEqual(["w", "e"]);
    expect(JSON.parse(lines[0] as string)).toMatchObject({ level: "warn", n: 1 });
  });
});

describe("logLevelFrom", () => {
  it("reads LOG_LEVEL, then LiteLLM's LITELLM_LOG, else info", () => {
    expect(logLevelFrom({})).toBe("info");
    expect(logLevelFrom({ LITELLM_LOG: "DEBUG" })).toBe("debug");
    expect(logLevelFrom({ LITELLM_LOG: "WARNING" })).toBe("warn");
    expect(logLevelFrom({ LOG_LEVEL: "error", LITELLM_LOG: "DEBUG" })).toBe("error");
  });

  it("names the variable when the value is not a level", () => {
    expect(() => logLevelFrom({ LITELLM_LOG: "loud" })).toThrow(/LITELLM_LOG: expected one of .* got "loud"/);
  });
});
