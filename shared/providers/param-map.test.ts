import { describe, expect, it } from "vitest";
import { GatewayError } from "../errors";
import { asList, mapParams, type ParamTable } from "./param-map";

const TABLE: ParamTable = Object.freeze({
  max_completion_tokens: { param: "maxTokens" },
  max_tokens: { param: "maxTokens" },
  stop: { param: "stopSequences", transform: asList },
  response_format: { expand: () => ({ mime: "application/json", maxTokens: 1 }) },
  n: { refuse: (n) => (n === 1 ? undefined : "one choice only") },
});

describe("mapParams", () => {
  it("copies and transforms what is set, the first listed parameter winning a shared field", () => {
    expect(mapParams({ max_tokens: 10, max_completion_tokens: 20, stop: "END", n: 1 }, TABLE)).toEqual({
      maxTokens: 20,
      stopSequences: ["END"],
    });
    expect(mapParams({ max_tokens: 10, response_format: {} }, TABLE)).toEqual({
      maxTokens: 10,
      mime: "application/json",
    });
  });

  it("leaves the object out when nothing applies, null counting as unset", () => {
    expect(mapParams({ max_tokens: null, temperature: 1 }, TABLE)).toBeUndefined();
  });

  it("refuses what the provider cannot honour as the caller's 400, naming the parameter", () => {
    const error = (() => {
      try {
        mapParams({ n: 3 }, TABLE);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ status: 400, param: "n", message: "n: one choice only" });
  });
});
