/** Builds the console into `outdir` (see bundle-console.mjs). */
export function buildConsole(
  outdir: string,
  onMetafile?: (metafile: import("esbuild").Metafile) => void,
): Promise<{ dir: string; script: string; style: string }>;
