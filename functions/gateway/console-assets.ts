import { existsSync, readdirSync, readFileSync } from "node:fs";
import { extname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type ConsoleAsset, type ConsoleAssets, mapAssets } from "../../shared/console/assets";

const CONTENT_TYPES: Readonly<Record<string, string>> = Object.freeze({
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
});

/** Built files are named `<name>-<HASH>.<ext>` (infra/bundle-console.mjs). */
const HASHED = /-[A-Z0-9]{8,}\.[a-z]+$/;

/**
 * Where the built console is: `ROUTEIQ_CONSOLE_DIR`, else `console/` beside the bundled entry
 * (dist/console for `npm start`), else dist/console under the working directory (`npm run dev`).
 */
export function consoleDir(configured: string | undefined): string | undefined {
  const candidates =
    configured === undefined
      ? // Beside the entry, or one level up when this code lands in a shared chunk (dist/chunks).
        [
          fileURLToPath(new URL("console/", import.meta.url)),
          fileURLToPath(new URL("../console/", import.meta.url)),
          resolve("dist", "console"),
        ]
      : [resolve(configured)];
  return candidates.find((dir) => existsSync(join(dir, "index.html")));
}

/** Reads the built console once, at start: a few hundred kilobytes, served from memory. */
export function readConsoleAssets(dir: string | undefined): ConsoleAssets | undefined {
  if (dir === undefined) return undefined;
  const files = new Map<string, ConsoleAsset>();
  for (const name of readdirSync(dir)) {
    const contentType = CONTENT_TYPES[extname(name)];
    if (contentType === undefined) continue;
    files.set(name, {
      body: new Uint8Array(readFileSync(join(dir, name))),
      contentType,
      immutable: HASHED.test(name),
    });
  }
  return mapAssets(files);
}
