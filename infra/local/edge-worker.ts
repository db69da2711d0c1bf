import { readdir, readFile } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import type { Readable } from "node:stream";
import { Miniflare } from "miniflare";

/** What wrangler.toml deploys with, so local runs and tests behave as the deployed Worker. */
export interface CompatibilitySettings {
  readonly compatibilityDate: string;
  readonly compatibilityFlags: string[];
}

const ROOT = resolve(import.meta.dirname, "../..");

/** Reads the two compatibility settings from wrangler.toml (their only lines of that name). */
export async function compatibilityOf(
  wranglerToml = join(ROOT, "wrangler.toml"),
): Promise<CompatibilitySettings> {
  const text = await readFile(wranglerToml, "utf8");
  const date = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(text)?.[1];
  const flags = /^compatibility_flags\s*=\s*\[([^\]]*)\]/m.exec(text)?.[1];
  if (date === undefined || flags === undefined)
    throw new Error(`${wranglerToml} must set compatibility_date and compatibility_flags`);
  return {
    compatibilityDate: date,
    compatibilityFlags: [...flags.matchAll(/"([^"]+)"/g)].map((match) => match[1] as string),
  };
}

async function modulesIn(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith(".mjs"))
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)));
}

export interface EdgeWorker {
  /** `http://127.0.0.1:<port>`, served by workerd. */
  readonly url: string;
  readonly miniflare: Miniflare;
  close(): Promise<void>;
}

/**
 * Runs the built edge bundle (`<bundleDir>/worker.mjs` and its chunks) in workerd through
 * miniflare, with `bindings` as its variables and secrets: `npm run dev:edge`, the edge tests and
 * the bench. Analytics Engine is bound as in wrangler.toml (miniflare keeps the points to itself).
 */
export async function startEdgeWorker(options: {
  readonly bundleDir: string;
  readonly bindings: Readonly<Record<string, string>>;
  readonly port?: number;
  /** Receives what the Worker writes (its JSON log lines); default: this process's stdout and stderr. */
  readonly onOutput?: (text: string) => void;
}): Promise<EdgeWorker> {
  const { onOutput } = options;
  const modules = await modulesIn(options.bundleDir);
  const main = "worker.mjs";
  const miniflare = new Miniflare({
    ...(await compatibilityOf()),
    modulesRoot: options.bundleDir,
    modules: [main, ...modules.filter((m) => m !== main)].map((path) => ({
      type: "ESModule" as const,
      path: join(options.bundleDir, path),
    })),
    bindings: { ...options.bindings },
    analyticsEngineDatasets: { ROUTEIQ_METRICS: { dataset: "routeiq_edge" } },
    host: "127.0.0.1",
    port: options.port ?? 0,
    ...(onOutput === undefined
      ? {}
      : {
          handleRuntimeStdio(stdout: Readable, stderr: Readable) {
            for (const stream of [stdout, stderr])
              stream.on("data", (chunk: Buffer) => onOutput(String(chunk)));
          },
        }),
  });
  const url = (await miniflare.ready).toString().replace(/\/$/, "");
  return { url, miniflare, close: () => miniflare.dispose() };
}
