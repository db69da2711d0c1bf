import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fileSource } from "./file-source";

let directory: string;

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), "routeiq-file-source-"));
});

afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe("fileSource", () => {
  it("reports a change only when the content changes", async () => {
    const path = join(directory, "config.yaml");
    await writeFile(path, "a: 1\n");
    const source = fileSource(path);
    expect(source.describe()).toBe(path);

    const first = await source.fetch(undefined);
    if (!first.changed) throw new Error("first fetch must return the file");
    expect(new TextDecoder().decode(first.body)).toBe("a: 1\n");
    expect(first.etag).toMatch(/^[0-9a-f]{64}$/);

    // Rewriting the same bytes touches mtime but is no change.
    await writeFile(path, "a: 1\n");
    expect(await source.fetch(first.etag)).toEqual({ changed: false });

    await writeFile(path, "a: 2\n");
    const second = await source.fetch(first.etag);
    if (!second.changed) throw new Error("fetch after a write must return the new content");
    expect(new TextDecoder().decode(second.body)).toBe("a: 2\n");
    expect(second.etag).not.toBe(first.etag);
  });

  it("fails on a missing file, naming it", async () => {
    const path = join(directory, "absent.yaml");
    await expect(fileSource(path).fetch(undefined)).rejects.toThrow(path);
  });
});
