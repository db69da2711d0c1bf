import { readFileSync } from "node:fs";

/** One nginx directive: `name args...;` or `name args... { children }`. */
export interface NginxDirective {
  readonly name: string;
  readonly args: readonly string[];
  readonly children?: readonly NginxDirective[];
}

export const NGINX_CONF_PATH = new URL("../../infra/nginx.conf", import.meta.url);

export const readNginxConf = (): string => readFileSync(NGINX_CONF_PATH, "utf8");

/** Words, quoted strings and the `{ } ;` punctuation, with `#` comments dropped. */
function tokens(text: string): string[] {
  const pattern = /"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|#[^\n]*|[{};]|[^\s{};"'#]+/g;
  return [...text.matchAll(pattern)].map((m) => m[0]).filter((token) => !token.startsWith("#"));
}

/** Parses nginx's configuration syntax into a directive tree (enough for assertions, not nginx -t). */
export function parseNginx(text: string): NginxDirective[] {
  const list = tokens(text);
  let at = 0;
  const block = (): NginxDirective[] => {
    const out: NginxDirective[] = [];
    while (at < list.length && list[at] !== "}") {
      const words: string[] = [];
      while (at < list.length && list[at] !== ";" && list[at] !== "{") words.push(list[at++] as string);
      const [name, ...args] = words;
      if (name === undefined) throw new Error(`nginx.conf: empty directive at token ${at}`);
      if (list[at++] === "{") {
        out.push({ name, args, children: block() });
        if (list[at++] !== "}") throw new Error(`nginx.conf: unclosed block "${name}"`);
      } else {
        out.push({ name, args });
      }
    }
    return out;
  };
  const tree = block();
  if (at < list.length) throw new Error("nginx.conf: unbalanced }");
  return tree;
}

/** Every directive named `name` anywhere under `tree`. */
export function findAll(tree: readonly NginxDirective[], name: string): NginxDirective[] {
  return tree.flatMap((d) => [...(d.name === name ? [d] : []), ...findAll(d.children ?? [], name)]);
}

/** The `host:port` of each `server` line of the one `upstream` block. */
export function upstreamServers(tree: readonly NginxDirective[]): { host: string; port: number }[] {
  const [upstream, ...others] = findAll(tree, "upstream");
  if (upstream === undefined || others.length > 0) throw new Error("nginx.conf: expected one upstream block");
  return (upstream.children ?? [])
    .filter((d) => d.name === "server")
    .map((d) => {
      const [host = "", port = ""] = (d.args[0] ?? "").split(":");
      return { host, port: Number(port) };
    });
}
