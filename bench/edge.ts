import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { gzipSync } from "node:zlib";
import { startEdgeStack } from "../infra/local/edge-local";
import { pgSql } from "../shared/store/sql/pg";
import { publishRevision } from "../shared/store/tables/config-revisions";
import { acquireLease } from "../shared/store/tables/leases";

/**
 * The edge in `npm run bench`: the Worker bundle's size against Workers' limits, its start in
 * workerd (miniflare), and, in run.ts, its added latency over the same mock upstream as the
 * region gateway. Locally the edge reaches PostgreSQL and Redis through the WebSocket relay and the
 * Upstash REST bridge on loopback, so its store calls cost far less than over the internet.
 */

/** Workers' limits on a script's compressed size (free plan, paid plans). */
export const WORKER_LIMITS = Object.freeze({
  freeGzipBytes: 3 * 1024 * 1024,
  paidGzipBytes: 10 * 1024 * 1024,
});

export interface BundleFile {
  readonly file: string;
  readonly bytes: number;
  readonly gzipBytes: number;
}

export interface EdgeBundle {
  readonly files: readonly BundleFile[];
  readonly bytes: number;
  readonly gzipBytes: number;
}

/** Every module wrangler uploads from `dir` (dist/edge), raw and gzipped. */
export async function edgeBundleSize(dir: string): Promise<EdgeBundle> {
  const names = (await readdir(dir, { recursive: true })).filter((name) => name.endsWith(".mjs")).sort();
  const files = await Promise.all(
    names.map(async (name) => {
      const content = await readFile(join(dir, name));
      return {
        file: relative(dir, join(dir, name)),
        bytes: content.length,
        gzipBytes: gzipSync(content).length,
      };
    }),
  );
  return {
    files,
    bytes: files.reduce((sum, f) => sum + f.bytes, 0),
    gzipBytes: files.reduce((sum, f) => sum + f.gzipBytes, 0),
  };
}

/** Makes `yaml` the newest published revision in `databaseUrl`, as the sync worker would. */
export async function publishConfig(databaseUrl: string, yaml: string): Promise<void> {
  const sql = pgSql({ connectionString: databaseUrl, max: 1 });
  try {
    const lease = await acquireLease(sql, "config_sync", "bench", 30);
    if (lease === undefined)
      throw new Error("the config_sync lease is held; cannot publish the bench config");
    await publishRevision(sql, lease, { etag: null, checksum: "bench", body: yaml });
  } finally {
    await sql.close();
  }
}

export interface EdgeStartup {
  /** Median ms from starting workerd to it serving (the script compiled and its top level run). */
  readonly readyMs: number;
  /** Median ms of the first request: the isolate's deps and its first revision check, then the answer. */
  readonly firstRequestMs: number;
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

/** Starts the edge `runs` times afresh and times its start and its first request (`GET /v1/models`). */
export async function measureEdgeStartup(options: {
  readonly bundleDir: string;
  readonly databaseUrl: string;
  readonly redisUrl: string;
  readonly masterKey: string;
  readonly runs: number;
}): Promise<EdgeStartup> {
  const ready: number[] = [];
  const first: number[] = [];
  for (let i = 0; i < options.runs; i++) {
    const started = performance.now();
    const stack = await startEdgeStack({
      databaseUrl: options.databaseUrl,
      redisUrl: options.redisUrl,
      bundleDir: options.bundleDir,
      bindings: { LITELLM_MASTER_KEY: options.masterKey },
      onOutput: () => {},
    });
    try {
      const served = performance.now();
      const response = await fetch(`${stack.url}/v1/models`, {
        headers: { authorization: `Bearer ${options.masterKey}` },
      });
      if (response.status !== 200)
        throw new Error(`edge answered ${response.status}: ${await response.text()}`);
      first.push(performance.now() - served);
      ready.push(served - started);
    } finally {
      await stack.close();
    }
  }
  return { readyMs: median(ready), firstRequestMs: median(first) };
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;

export function formatEdgeBundle(bundle: EdgeBundle, startup: EdgeStartup, runs: number): string {
  const lines = bundle.files.map(
    (f) => `  ${f.file.padEnd(36)} ${kib(f.bytes).padStart(10)} ${kib(f.gzipBytes).padStart(10)}`,
  );
  return [
    "edge bundle (dist/edge; what wrangler uploads):",
    `  ${"module".padEnd(36)} ${"raw".padStart(10)} ${"gzip".padStart(10)}`,
    ...lines,
    `  ${"total".padEnd(36)} ${kib(bundle.bytes).padStart(10)} ${kib(bundle.gzipBytes).padStart(10)}`,
    `  gzip against Workers' limits: ${((bundle.gzipBytes / WORKER_LIMITS.freeGzipBytes) * 100).toFixed(0)}% of the free plan's 3 MiB, ${((bundle.gzipBytes / WORKER_LIMITS.paidGzipBytes) * 100).toFixed(0)}% of the paid plans' 10 MiB`,
    `edge start in workerd (median of ${runs}): ready ${startup.readyMs.toFixed(0)} ms (workerd up, script compiled), first request ${startup.firstRequestMs.toFixed(0)} ms (isolate deps, revision check, answer)`,
  ].join("\n");
}
