import { describe, expect, it, vi } from "vitest";
import { lazySecretsManagerReader } from "./lazy-secrets-manager";

const sdk = vi.hoisted(() => ({ loaded: 0 }));

vi.mock("./secrets-manager", () => {
  sdk.loaded += 1;
  return { secretsManagerReader: () => ({ read: async (id: string) => `value of ${id}` }) };
});

describe("lazySecretsManagerReader", () => {
  it("loads the Secrets Manager adapter on the first read, once", async () => {
    const reader = lazySecretsManagerReader();
    expect(sdk.loaded).toBe(0);
    await expect(reader.read("arn:a")).resolves.toBe("value of arn:a");
    await expect(reader.read("arn:b")).resolves.toBe("value of arn:b");
    expect(sdk.loaded).toBe(1);
  });
});
