import { BlockList, isIP } from "node:net";
import { DEV_MASTER_KEY } from "../../shared/config/master-key-rules";

const loopback = new BlockList();
loopback.addSubnet("127.0.0.0", 8, "ipv4");
loopback.addAddress("::1", "ipv6");
loopback.addSubnet("::ffff:127.0.0.0", 104, "ipv6");

/** True for an address only this machine can reach (`localhost`, 127.0.0.0/8, ::1). */
export function isLoopback(host: string): boolean {
  if (host.toLowerCase() === "localhost") return true;
  const address = host.replace(/^\[(.*)\]$/, "$1");
  const family = isIP(address);
  return family !== 0 && loopback.check(address, family === 4 ? "ipv4" : "ipv6");
}

/**
 * The address to listen on: `HOST`, else every interface, except with the public dev master key,
 * which anyone can read in config/config.yaml: then loopback only, and a HOST beyond it is refused.
 */
export function listenHost(host: string | undefined, masterKey: string | undefined): string {
  if (masterKey !== DEV_MASTER_KEY) return host ?? "0.0.0.0";
  if (host === undefined) return "127.0.0.1";
  if (!isLoopback(host)) {
    throw new Error(
      `HOST=${host}: the master key in force is the public development key of config/config.yaml, so the gateway listens on loopback only. Set a master key of your own (general_settings.master_key, e.g. os.environ/LITELLM_MASTER_KEY), or unset HOST`,
    );
  }
  return host;
}
