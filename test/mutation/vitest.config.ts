import { defineConfig } from "vitest/config";
import baseConfig from "../../vitest.config";

/** The project's vitest settings, limited to the tests `run.ts` names for the file being mutated. */
const tests = (process.env.MUTATE_TESTS ?? "").split(",").filter((t) => t !== "");
if (tests.length === 0)
  throw new Error("MUTATE_TESTS must list the test files to run (see test/mutation/run.ts)");

export default defineConfig({
  ...baseConfig,
  test: { ...baseConfig.test, include: tests },
});
