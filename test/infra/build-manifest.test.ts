import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { forgetBuild, MANIFEST, recordBuild, staleReason } from "../../infra/build-manifest.mjs";

/**
 * The build record behind `npm start`'s skipped build: a fake tree (sources in `root`, outputs in
 * `root/out`) stands in for the repository and dist/.
 */
let root: string;
let outdir: string;
const source = (name: string) => join(root, "src", name);
const output = (name: string) => join(outdir, name);
const paths = () => ({ root, outdir });

function build(startedAt = Date.now() + 1_000) {
  writeFileSync(output("app.mjs"), "bundled");
  return recordBuild({
    root,
    outdir,
    inputs: [source("app.ts"), source("lib.ts"), source("app.ts")],
    outputs: [output("app.mjs")],
    startedAt,
  });
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "routeiq-build-manifest-"));
  outdir = join(root, "out");
  mkdirSync(join(root, "src"));
  mkdirSync(outdir);
  writeFileSync(source("app.ts"), "export const app = 1;");
  writeFileSync(source("lib.ts"), "export const lib = 1;");
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe("the build record", () => {
  it("says a directory never built needs a build", () => {
    expect(staleReason(paths())).toBe("no record of a complete build");
  });

  it("finds nothing to do right after a build", () => {
    expect(build()).toBe(true);
    expect(staleReason(paths())).toBeUndefined();
  });

  it("goes by content: a file saved again unchanged, with a new mtime, needs no build", () => {
    build();
    writeFileSync(source("lib.ts"), "export const lib = 1;");
    utimesSync(source("lib.ts"), new Date(), new Date(Date.now() + 60_000));
    expect(staleReason(paths())).toBeUndefined();
  });

  it("names the input that changed or went away", () => {
    build();
    writeFileSync(source("lib.ts"), "export const lib = 2;");
    expect(staleReason(paths())).toBe(`${join("src", "lib.ts")} changed`);
    writeFileSync(source("lib.ts"), "export const lib = 1;");
    rmSync(source("app.ts"));
    expect(staleReason(paths())).toBe(`${join("src", "app.ts")} is gone`);
  });

  it("names an output that was deleted", () => {
    build();
    rmSync(output("app.mjs"));
    expect(staleReason(paths())).toBe("app.mjs is missing");
  });

  it("is forgotten when a build starts, so an interrupted build is never taken for a complete one", () => {
    build();
    forgetBuild(outdir);
    expect(staleReason(paths())).toBe("no record of a complete build");
  });

  it("records nothing when an input was modified after the build started (it may have read the old one)", () => {
    expect(build(Date.now() - 60_000)).toBe(false);
    expect(staleReason(paths())).toBe("no record of a complete build");
  });

  it("treats an unreadable record as no record", () => {
    writeFileSync(join(outdir, MANIFEST), "{ not json");
    expect(staleReason(paths())).toBe("no record of a complete build");
    writeFileSync(join(outdir, MANIFEST), JSON.stringify({ version: 0, inputs: {}, outputs: [] }));
    expect(staleReason(paths())).toBe("its build record is from another version");
  });
});
