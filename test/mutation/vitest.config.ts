import { defineConfig } from "vitest/config";
import baseConfig from "../../vitest.config";

/** The project's vitest settings, limited to the tests `run.ts` names for the file being mutated. */
const tests = (process.env.MUTATE_TESTS ?? "").split(",").filter((t) => t !== "");
if (tests.length === 0)
  throw new Error("MUTATE_TESTS must list the test files to run (see test/mutation/run.ts)");

export default defineConfig({
  ...baseConfig,
  // Instrumented code on a busy machine: PGlite's start and migrations alone can outlast a minute.
  test: { ...baseConfig.test, include: tests, hookTimeout: 300_000, testTimeout: 300_000 },
});
