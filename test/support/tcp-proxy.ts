import { createServer, type Socket, connect as tcpConnect } from "node:net";

export interface TcpProxy {
  readonly port: number;
  /** Simulates an outage: cuts every open connection and resets new ones as soon as they arrive. */
  block(): void;
  unblock(): void;
  close(): Promise<void>;
}

/** A loopback TCP proxy to `targetHost:targetPort` that a test can cut off and restore at will. */
export async function startTcpProxy(targetPort: number, targetHost = "127.0.0.1"): Promise<TcpProxy> {
  const open = new Set<Socket>();
  let blocked = false;

  const track = (socket: Socket) => {
    open.add(socket);
    socket.on("close", () => open.delete(socket));
    // A cut connection errors on both ends; the proxy only needs each socket gone.
    socket.on("error", () => socket.destroy());
  };

  const server = createServer((client) => {
    if (blocked) {
      client.resetAndDestroy();
      return;
    }
    const upstream = tcpConnect(targetPort, targetHost);
    track(client);
    track(upstream);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("tcp proxy has no port");

  const cutAll = () => {
    for (const socket of open) socket.resetAndDestroy();
  };

  return {
    port: address.port,
    block() {
      blocked = true;
      cutAll();
    },
    unblock() {
      blocked = false;
    },
    close() {
      cutAll();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
