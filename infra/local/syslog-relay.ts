import { createSocket } from "node:dgram";
import { relay } from "./events";

/** `<PRI>Mmm dd hh:mm:ss nginx: ` before each message (the conf asks for no host name). */
const HEADER = /^<\d+>\w{3} [ \d]\d \d\d:\d\d:\d\d [^:\s]+: /;

/**
 * A loopback syslog receiver relaying nginx's access and error lines as the `nginx` child's output.
 * Resolves to its port and a close function.
 */
export async function startSyslogRelay(child: string): Promise<{ port: number; close(): Promise<void> }> {
  const socket = createSocket("udp4");
  socket.on("message", (message) => relay(child, message.toString("utf8").replace(HEADER, "")));
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  return {
    port: socket.address().port,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
