import { createServer } from "node:net";

/**
 * A loopback port free right now, for ha:local and the bench. ha:local gives gateways fixed ports
 * (not 0) because nginx names them in its upstream block, and a restarted gateway must come back
 * where nginx looks for it.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
