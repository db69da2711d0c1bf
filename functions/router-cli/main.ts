import { evalCommand } from "./eval";
import { routeCommand } from "./route";
import { signCommand } from "./sign";
import { trainCommand } from "./train";

/**
 * The learned-routing commands (`npm run router:train|route|eval|sign -- ...`): the script names
 * the command, its flags follow.
 */
const commands: Readonly<Record<string, (argv: readonly string[]) => Promise<void>>> = Object.freeze({
  train: trainCommand,
  route: routeCommand,
  eval: evalCommand,
  sign: signCommand,
});

const [name = "", ...argv] = process.argv.slice(2);
const command = commands[name];
if (command === undefined) {
  console.error(`usage: main.ts ${Object.keys(commands).join("|")} [flags]`);
  process.exit(2);
}
command(argv).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
