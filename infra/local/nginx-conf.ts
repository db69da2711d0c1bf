import { join } from "node:path";

export interface LoopbackNginxOptions {
  /** The gateways' loopback ports, in the order of the `server` lines they replace. */
  readonly gatewayPorts: readonly number[];
  readonly listenPort: number;
  /** A loopback UDP port taking syslog: logs the shipped conf sends to /dev/stdout or /dev/stderr go there. */
  readonly syslogPort: number;
  /** nginx's prefix: temp files and the pid file go here. */
  readonly dir: string;
}

const UPSTREAM = /(upstream\s+routeiq_gateways\s*\{)([^}]*)(\})/;
const UPSTREAM_SERVER = /^(\s*server\s+)\S+?(?=[\s;])/gm;
const LISTEN = /(^|[\s{;])listen\s+[^;]+;/g;
// Set on the command line instead: their container values (/run, /var/log) are not ours to write.
const MAIN_ONLY = /^\s*(pid|user|daemon)\s[^;]*;[^\n]*\n?/gm;
// Node gives a child sockets, not pipes, for stdio, and Linux refuses to open() a socket through
// /dev/stdout (ENXIO); the runner receives these logs over syslog instead.
const STDIO_LOG = /\b(access_log|error_log)\s+\/dev\/std(?:out|err)\b/g;
// Comments go first, so a comment that mentions `listen` or `server` is never taken for one.
const COMMENT_LINE = /^[ \t]*#[^\n]*\n/gm;
const COMMENT = /(^|[ \t])#[^\n]*/gm;

/**
 * The shipped infra/nginx.conf with its container names swapped for loopback: each upstream
 * `server NAME:4000` becomes `server 127.0.0.1:<port>` (its parameters kept), `listen` becomes the
 * runner's port, and nginx's temp files move to `dir`. Everything else (balancing, retries,
 * timeouts) is exactly what the containers run.
 */
export function renderLoopbackConf(shipped: string, options: LoopbackNginxOptions): string {
  const source = shipped.replace(COMMENT_LINE, "").replace(COMMENT, "$1");
  const upstream = UPSTREAM.exec(source);
  if (upstream === null) throw new Error("nginx.conf: no `upstream routeiq_gateways { ... }` block");
  const servers = upstream[2]?.match(UPSTREAM_SERVER) ?? [];
  if (servers.length !== options.gatewayPorts.length) {
    throw new Error(
      `nginx.conf: upstream routeiq_gateways names ${servers.length} servers; the local run starts ${options.gatewayPorts.length} gateways`,
    );
  }
  let index = 0;
  const body = (upstream[2] ?? "").replace(
    UPSTREAM_SERVER,
    (_, head: string) => `${head}127.0.0.1:${options.gatewayPorts[index++]}`,
  );
  let conf = source.replace(UPSTREAM, (_, open: string, _body: string, close: string) => open + body + close);

  const listens = conf.match(LISTEN) ?? [];
  if (listens.length !== 1) throw new Error(`nginx.conf: expected one \`listen\`, found ${listens.length}`);
  conf = conf.replace(LISTEN, (_, before: string) => `${before}listen 127.0.0.1:${options.listenPort};`);
  conf = conf.replace(MAIN_ONLY, "");
  conf = conf.replace(
    STDIO_LOG,
    (_, directive: string) =>
      `${directive} syslog:server=127.0.0.1:${options.syslogPort},tag=nginx,nohostname`,
  );

  const temp = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]
    .map((kind) => `  ${kind}_temp_path ${join(options.dir, `${kind}_temp`)};`)
    .join("\n");
  // The access log would repeat every request in the runner's output; the error log stays on stderr.
  const accessLog = /\baccess_log\b/.test(conf) ? "" : "\n  access_log off;";
  const http = /\bhttp\s*\{/;
  if (!http.test(conf)) throw new Error("nginx.conf: no `http { ... }` block");
  return conf.replace(
    http,
    (open) => `${open}\n  # Added by infra/local for a loopback run.\n${temp}${accessLog}`,
  );
}

/** nginx's arguments for a foreground run under `dir`, its startup errors on stderr. */
export function nginxArgs(confPath: string, dir: string): string[] {
  return [
    "-p",
    `${dir}/`,
    "-c",
    confPath,
    "-e",
    "stderr",
    "-g",
    `daemon off; pid ${join(dir, "nginx.pid")}; error_log stderr warn;`,
  ];
}
