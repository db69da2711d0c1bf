import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { findAll, type NginxDirective, parseNginx, readNginxConf, upstreamServers } from "./nginx-conf";

const NGINX = "/usr/sbin/nginx";
const conf = readNginxConf();
const tree = parseNginx(conf);

/**
 * A copy of infra/nginx.conf that runs on loopback: nginx resolves upstream hostnames when it loads
 * its config (for `nginx -t` too), and the compose service names resolve only inside compose's
 * network, so each `server NAME:4000` becomes 127.0.0.1 (on `ports[i]` when given). The access log
 * moves into the temp prefix too.
 */
function loopbackCopy(options: { ports?: readonly number[]; listen?: number } = {}): {
  dir: string;
  file: string;
} {
  let i = 0;
  let text = conf.replace(/^([ \t]*server[ \t]+)[^\s:;]+:(\d+)/gm, (_match, lead: string, port: string) => {
    const chosen = options.ports?.[i++] ?? Number(port);
    return `${lead}127.0.0.1:${chosen}`;
  });
  if (options.listen !== undefined)
    text = text.replace(/^([ \t]*)listen 8080;/m, `$1listen 127.0.0.1:${options.listen};`);
  const dir = mkdtempSync(join(tmpdir(), "routeiq-nginx-"));
  // /dev/stdout cannot be opened when stdout is a socket, as it is under vitest's child_process.
  text = text.replace(/access_log \/dev\/stdout/, `access_log ${join(dir, "access.log")}`);
  const file = join(dir, "nginx.conf");
  writeFileSync(file, text);
  return { dir, file };
}

/** `pid` and the logs go to the temp prefix, so nothing outside it is written. */
const globals = (dir: string, extra = "") =>
  `${extra}pid ${join(dir, "nginx.pid")}; error_log ${join(dir, "error.log")};`;

const location = (match: (args: readonly string[]) => boolean): NginxDirective => {
  const found = findAll(tree, "location").find((l) => match(l.args));
  if (found === undefined) throw new Error("location not found");
  return found;
};
const directive = (block: NginxDirective, name: string) => block.children?.find((d) => d.name === name)?.args;

describe("infra/nginx.conf", () => {
  it("passes nginx -t", () => {
    expect(existsSync(NGINX), `nginx must be installed at ${NGINX} (apt-get install -y nginx)`).toBe(true);
    const { dir, file } = loopbackCopy();
    try {
      const result = spawnSync(NGINX, ["-t", "-c", file, "-p", dir, "-g", globals(dir)], {
        encoding: "utf8",
      });
      expect(result.status, result.stderr).toBe(0);
      expect(result.stderr).toContain("test is successful");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("keeps the shape the local HA runner rewrites: one upstream, server lines, listen 8080", () => {
    const [upstream] = findAll(tree, "upstream");
    expect(upstream?.args).toEqual(["routeiq_gateways"]);
    const names = (upstream?.children ?? []).map((d) => d.name);
    expect(names).toContain("least_conn");
    expect(names).toContain("keepalive");
    expect(upstreamServers(tree)).toHaveLength(2);
    // Both replicas take traffic (no `backup`).
    const servers = (upstream?.children ?? []).filter((d) => d.name === "server");
    for (const server of servers) expect(server.args).not.toContain("backup");
    expect(findAll(tree, "listen").map((d) => d.args)).toEqual([["8080"]]);
  });

  it("streams unbuffered but buffers request bodies, so a POST can be resent", () => {
    const [server] = findAll(tree, "server").filter((d) => d.children !== undefined);
    expect(server).toBeDefined();
    const at = server as NginxDirective;
    expect(directive(at, "proxy_buffering")).toEqual(["off"]);
    expect(findAll(tree, "proxy_request_buffering").map((d) => d.args)).not.toContainEqual(["off"]);
    expect(directive(at, "proxy_next_upstream_tries")).toEqual(["2"]);
    expect(directive(at, "proxy_next_upstream_timeout")).toBeDefined();
    expect(directive(at, "proxy_read_timeout")).toEqual(["600s"]);
    expect(directive(at, "proxy_set_header")).toBeDefined();
    const headers = (at.children ?? []).filter((d) => d.name === "proxy_set_header").map((d) => d.args[0]);
    expect(headers).toContain("X-Request-Id");
    expect(headers).toContain("Connection");
  });

  it("logs paths without their query strings, where LiteLLM's management API carries keys", () => {
    const formats = findAll(tree, "log_format");
    expect(formats.map((d) => d.args[0])).toEqual(["routeiq"]);
    const format = (formats[0]?.args ?? []).slice(1).join(" ");
    // The path, with the key of LiteLLM's /key/{key}/regenerate left out (see the live test below).
    expect(format).toContain("$routeiq_logged_uri");
    const map = findAll(tree, "map").find((d) => d.args[1] === "$routeiq_logged_uri");
    expect(map?.args[0]).toBe("$uri");
    for (const variable of ["$uri", "$request", "$request_uri", "$args", "$query_string"]) {
      expect(format).not.toMatch(new RegExp(`\\${variable}(?![a-z_])`));
    }
    expect(format).not.toContain("$arg_");
    const logs = findAll(tree, "access_log").filter((d) => d.args[0] !== "off");
    expect(logs.map((d) => d.args.at(-1))).toEqual(["routeiq"]);
  });

  it("retries inference routes even once sent, and never resends a management POST", () => {
    const v1 = location((args) => args.join(" ") === "/v1/");
    const bare = location((args) => args[0] === "~");
    const fallback = location((args) => args.join(" ") === "/");
    for (const inference of [v1, bare]) {
      expect(directive(inference, "proxy_next_upstream")).toEqual([
        "error",
        "timeout",
        "http_503",
        "non_idempotent",
      ]);
    }
    expect(directive(fallback, "proxy_next_upstream")).toEqual(["error", "timeout", "http_503"]);

    // nginx's regex is PCRE; this one is plain enough for JavaScript to read the same way.
    const pattern = new RegExp(bare.args[1] as string);
    for (const path of ["/chat/completions", "/completions", "/embeddings", "/messages", "/responses"]) {
      expect(path).toMatch(pattern);
    }
    for (const path of ["/key/generate", "/team/new", "/user/new", "/chat/completions/x", "/messages2"]) {
      expect(path).not.toMatch(pattern);
    }
  });
});

describe("nginx in front of replicas that die mid-request", () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0)) cleanup();
  });

  /** A replica that reads the whole request, then either answers or drops the connection. */
  async function replica(answers: boolean): Promise<{ port: number; hits: string[] }> {
    const hits: string[] = [];
    const server: Server = createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        hits.push(`${req.method} ${req.url}`);
        if (answers) res.end(JSON.stringify({ ok: true }));
        else req.socket.destroy();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    cleanups.push(() => server.close());
    return { port: (server.address() as AddressInfo).port, hits };
  }

  async function freePort(): Promise<number> {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    return port;
  }

  /** A fresh nginx per scenario, so one scenario's failures do not mark servers down for the next. */
  async function nginx(ports: readonly number[]): Promise<{ base: string; accessLog: string }> {
    expect(existsSync(NGINX), `nginx must be installed at ${NGINX} (apt-get install -y nginx)`).toBe(true);
    const listen = await freePort();
    const { dir, file } = loopbackCopy({ ports, listen });
    // Its own process group: the workers outlive a master killed alone, and would keep their ports.
    const child: ChildProcess = spawn(NGINX, ["-c", file, "-p", dir, "-g", globals(dir, "daemon off; ")], {
      stdio: "ignore",
      detached: true,
    });
    cleanups.push(() => {
      if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    });
    const base = `http://127.0.0.1:${listen}`;
    for (let attempt = 0; ; attempt++) {
      const up = await fetch(`${base}/nginx-health`).then(
        (r) => r.ok,
        () => false,
      );
      if (up) return { base, accessLog: join(dir, "access.log") };
      if (attempt > 100) {
        const log = existsSync(join(dir, "error.log")) ? readFileSync(join(dir, "error.log"), "utf8") : "";
        throw new Error(`nginx did not start:\n${log}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  const post = (url: string) =>
    fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: '{"model":"demo"}' });

  it("resends an inference POST to the other replica", async () => {
    const dying = await replica(false);
    const healthy = await replica(true);
    const { base } = await nginx([dying.port, healthy.port]);
    for (const path of ["/v1/chat/completions", "/chat/completions", "/v1/messages", "/embeddings"]) {
      const response = await post(`${base}${path}`);
      expect(response.status, path).toBe(200);
    }
    expect(healthy.hits).toHaveLength(4);
    // Some of them did reach the dying replica first: they were resent, not merely routed around.
    expect(dying.hits.length).toBeGreaterThan(0);
  });

  it("sends an inference POST at most twice", async () => {
    const a = await replica(false);
    const b = await replica(false);
    const { base } = await nginx([a.port, b.port]);
    expect((await post(`${base}/v1/chat/completions`)).status).toBe(502);
    expect(a.hits.length + b.hits.length).toBe(2);
  });

  it("does not resend a management POST once a replica received it", async () => {
    const a = await replica(false);
    const b = await replica(false);
    const { base } = await nginx([a.port, b.port]);
    expect((await post(`${base}/key/generate`)).status).toBe(502);
    expect(a.hits.length + b.hits.length).toBe(1);
  });

  it("passes keys in query strings and paths through to the gateway but keeps them out of its access log", async () => {
    const gateway = await replica(true);
    const { base, accessLog } = await nginx([gateway.port, gateway.port]);
    const key = "sk-query-string-secret-0123456789";
    const paths = [`/key/info?key=${key}`, `/spend/logs?api_key=${key}&limit=5`];
    for (const path of paths) expect((await fetch(`${base}${path}`)).status).toBe(200);
    // LiteLLM's /key/{key}/regenerate puts the key in the path itself.
    expect((await post(`${base}/key/${key}/regenerate`)).status).toBe(200);
    expect(gateway.hits).toEqual([...paths.map((path) => `GET ${path}`), `POST /key/${key}/regenerate`]);
    // nginx writes each line as its request ends, before the client has the whole answer.
    await vi.waitFor(() => expect(readFileSync(accessLog, "utf8").split("\n")).toHaveLength(4));
    const log = readFileSync(accessLog, "utf8");
    expect(log).not.toContain(key);
    expect(log).toContain('"GET /key/info HTTP/1.1" 200');
    expect(log).toContain('"GET /spend/logs HTTP/1.1" 200');
    expect(log).toContain('"POST /key/[key]/regenerate HTTP/1.1" 200');
  });
});
