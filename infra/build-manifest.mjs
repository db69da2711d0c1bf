// What a build read and wrote, kept beside its outputs so that `npm start` can skip a build that
// would change nothing: the content hash of every input esbuild read (sources and node_modules
// files alike) and of the files the build copies, and the list of outputs.
import { createHash } from "node:crypto";
import { existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";

export const MANIFEST = ".build-manifest.json";
const VERSION = 1;

/** `file`'s sha256, or undefined when it is gone. */
function hashOf(file) {
  try {
    return createHash("sha256").update(readFileSync(file)).digest("hex");
  } catch (error) {
    if (error?.code === "ENOENT" || error?.code === "EISDIR") return undefined;
    throw error;
  }
}

/** Removes the manifest first: a build that fails or is interrupted must not look up to date. */
export function forgetBuild(outdir) {
  rmSync(join(outdir, MANIFEST), { force: true });
}

/**
 * Records the build in `outdir`. `inputs` and `outputs` are absolute paths; they are stored relative
 * to `root` and `outdir`. An input modified since `startedAt` may have been read in its older form,
 * so then nothing is recorded and the next `--if-changed` builds again. Returns whether it recorded.
 */
export function recordBuild({ root, outdir, inputs, outputs, startedAt }) {
  const hashes = {};
  for (const input of [...new Set(inputs)].sort()) {
    const stat = statSync(input, { throwIfNoEntry: false });
    if (stat === undefined || stat.mtimeMs > startedAt) return false;
    hashes[relative(root, input)] = hashOf(input);
  }
  const manifest = {
    version: VERSION,
    inputs: hashes,
    outputs: [...new Set(outputs.map((output) => relative(outdir, output)))].sort(),
  };
  const path = join(outdir, MANIFEST);
  writeFileSync(`${path}.tmp`, `${JSON.stringify(manifest, null, 1)}\n`);
  renameSync(`${path}.tmp`, path);
  return true;
}

/** Why `outdir` needs a build (the first reason found), or undefined when it is up to date. */
export function staleReason({ root, outdir }) {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(join(outdir, MANIFEST), "utf8"));
  } catch {
    return "no record of a complete build";
  }
  if (
    manifest?.version !== VERSION ||
    typeof manifest.inputs !== "object" ||
    !Array.isArray(manifest.outputs)
  )
    return "its build record is from another version";
  for (const output of manifest.outputs) {
    if (!existsSync(join(outdir, output))) return `${output} is missing`;
  }
  for (const [input, hash] of Object.entries(manifest.inputs)) {
    const now = hashOf(resolve(root, input));
    if (now !== hash) return now === undefined ? `${input} is gone` : `${input} changed`;
  }
  return undefined;
}
