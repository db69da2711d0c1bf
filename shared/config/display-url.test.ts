import { describe, expect, it } from "vitest";
import { displayUrl } from "./display-url";

describe("an endpoint shown to an operator", () => {
  it("keeps scheme, host and path, and drops user info and the query", () => {
    expect(displayUrl("https://user:pw@api.example.com:8443/v1?key=secret#x")).toBe(
      "https://api.example.com:8443/v1",
    );
    expect(displayUrl("not a url")).toBeUndefined();
  });
});
