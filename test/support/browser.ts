import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";

/** Debian's `chromium` package (`.ci/run` installs it); CHROMIUM_PATH points elsewhere. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Where a failing browser test leaves its screenshot (TEST_ARTIFACTS_DIR, default test-artifacts/). */
export const ARTIFACTS_DIR = resolve(process.env.TEST_ARTIFACTS_DIR ?? "test-artifacts");

/** Headless Chromium, failing loudly when it is not installed (never a browser download). */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `these tests need Chromium at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`,
    );
  }
  // As root (CI containers) Chromium refuses to start sandboxed.
  return chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
}

/** Saves what `page` shows as <ARTIFACTS_DIR>/<name>.png; returns the path. */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  const path = join(ARTIFACTS_DIR, `${name.replace(/[^a-z0-9-]+/gi, "-")}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
