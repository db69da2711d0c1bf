import { setTimeout as sleep } from "node:timers/promises";

/** Polls `url` until it answers 200; throws naming `what` after `timeoutMs`. */
export async function waitForOk(what: string, url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer";
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await response.arrayBuffer();
      if (response.status === 200) return;
      last = `status ${response.status}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await sleep(100);
  }
  throw new Error(`${what} not ready within ${timeoutMs} ms (${url}: ${last})`);
}
