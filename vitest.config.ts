import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["shared/**/*.test.ts", "functions/**/*.test.ts", "test/**/*.test.ts"],
    // Drops the test schemas and Redis keys an interrupted earlier run left behind.
    globalSetup: ["test/support/sweep-leftovers.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
