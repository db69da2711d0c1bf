import { connect } from "node:net";
import { type RawData, WebSocketServer } from "ws";

/**
 * Test and local-dev tooling, never deployed: a WebSocket-to-TCP relay in front of a PostgreSQL,
 * the local stand-in for Neon's proxy, so Neon's serverless driver (PostgreSQL over WebSocket) can
 * reach the machine's server. Each WebSocket is one TCP connection to `target`, bytes relayed as
 * they come. Whatever `?address=` the driver asks for, only `target` is reached.
 */
export interface PgWsRelay {
  /** `ws://127.0.0.1:<port>/v1`: the driver's `wsProxy` (ROUTEIQ_NEON_WS_PROXY). */
  readonly url: string;
  close(): Promise<void>;
}

export async function startPgWsRelay(
  target: { readonly host: string; readonly port: number },
  listen: { readonly host?: string; readonly port?: number } = {},
): Promise<PgWsRelay> {
  const host = listen.host ?? "127.0.0.1";
  const server = new WebSocketServer({ host, port: listen.port ?? 0 });
  server.on("connection", (ws) => {
    const socket = connect(target.port, target.host);
    const pending: Buffer[] = [];
    socket.on("connect", () => {
      for (const chunk of pending.splice(0)) socket.write(chunk);
    });
    socket.on("data", (data) => ws.send(data));
    socket.on("error", () => ws.close());
    socket.on("close", () => ws.close());
    ws.on("message", (data: RawData) => {
      const chunk = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      if (socket.connecting) pending.push(chunk);
      else socket.write(chunk);
    });
    ws.on("close", () => socket.destroy());
    ws.on("error", () => socket.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return {
    url: `ws://${host}:${port}/v1`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of server.clients) client.terminate();
        server.close(() => resolve());
      }),
  };
}
