import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";

export interface SpawnedGateway {
  readonly child: ChildProcess;
  readonly url: string;
  /** The process's temporary directory (config file, data dir); the caller may remove it after exit. */
  readonly dir: string;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
  exited: Promise<number | null>;
}

/**
 * Runs the real entry point (`functions/gateway/node.ts`) as its own process, the way `npm start`
 * does, and resolves once it logs that it is listening.
 */
export async function spawnGateway(
  config: Record<string, unknown>,
  env: Record<string, string> = {},
  { startTimeoutMs = 45_000 }: { readonly startTimeoutMs?: number } = {},
): Promise<SpawnedGateway> {
  const dir = mkdtempSync(join(tmpdir(), "routeiq-proc-"));
  const configPath = join(dir, "config.yaml");
  writeFileSync(configPath, stringify(config));
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "functions/gateway/node.ts", "--config", configPath],
    {
      env: { ...process.env, PORT: "0", HOST: "127.0.0.1", ROUTEIQ_DATA_DIR: dir, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      // A process that never listened is nobody's to stop: do not leave it running.
      child.kill("SIGKILL");
      reject(new Error(`gateway did not start within ${startTimeoutMs} ms:\n${output}`));
    }, startTimeoutMs);
    const onData = () => {
      const line = output.split("\n").find((l) => l.includes('"gateway listening"'));
      if (line !== undefined) {
        clearTimeout(timer);
        child.stdout?.off("data", onData);
        resolve((JSON.parse(line) as { port: number }).port);
      }
    };
    child.stdout?.on("data", onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited with ${code} before listening:\n${output}`));
    });
  });
  return { child, url: `http://127.0.0.1:${port}`, dir, output: () => output, exited };
}
