/**
 * The code that guards money, routing and leadership, each file with the tests that exercise it
 * (run by `npm run mutate`; see docs/testing.md). Only these tests run against each mutant, so a
 * file takes minutes rather than the whole suite's hours.
 */
export interface MutationTarget {
  /** Short name for `npm run mutate -- <name>` and the report file. */
  readonly name: string;
  readonly file: string;
  readonly tests: readonly string[];
}

export const targets: readonly MutationTarget[] = Object.freeze([
  {
    name: "limiter",
    file: "shared/limits/limiter.ts",
    tests: [
      "shared/limits/limiter.test.ts",
      "test/integration/limiter.test.ts",
      "test/integration/limit-scripts-differential.test.ts",
    ],
  },
  {
    name: "limit-scripts",
    file: "shared/limits/limit-scripts.ts",
    tests: [
      "shared/limits/limiter.test.ts",
      "test/integration/limiter.test.ts",
      "test/integration/limit-scripts-differential.test.ts",
    ],
  },
  {
    name: "dispatch",
    file: "shared/router/dispatch.ts",
    tests: ["shared/router/dispatch.test.ts", "shared/router/dispatch-policy.test.ts"],
  },
  {
    name: "leases",
    file: "shared/store/tables/leases.ts",
    tests: ["test/integration/lease.test.ts", "test/integration/lease-properties.test.ts"],
  },
  {
    name: "leader-election",
    file: "shared/sync/leader-election.ts",
    // The fake-timer unit test: the integration test's real waits would make each mutant take minutes.
    tests: ["shared/sync/leader-election.test.ts"],
  },
  {
    name: "log-writer",
    file: "shared/spend/log-writer.ts",
    // The fake-timer unit test covers the loop, backoff and fallbacks; the integration test the SQL.
    tests: ["shared/spend/log-writer.test.ts", "test/integration/spend-log-writer.test.ts"],
  },
  {
    name: "request-accounting",
    file: "shared/routes/request-accounting.ts",
    tests: [
      "shared/routes/request-accounting.test.ts",
      "test/gateway/admission-release.test.ts",
      "test/gateway/budget-bound.test.ts",
      "test/gateway/stream-charging.test.ts",
    ],
  },
  {
    name: "key-resolver",
    file: "shared/keys/key-resolver.ts",
    tests: ["shared/keys/key-resolver.test.ts"],
  },
  {
    name: "router-memory-state",
    file: "shared/router/memory-state.ts",
    tests: ["shared/router/memory-state.test.ts"],
  },
]);
