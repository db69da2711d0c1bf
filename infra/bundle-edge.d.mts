/** Builds the edge bundle into `outdir` (see bundle-edge.mjs); resolves to its files and sizes. */
export function buildEdge(
  outdir: string,
  entry?: string,
  onMetafile?: (metafile: import("esbuild").Metafile) => void,
): Promise<{ file: string; bytes: number }[]>;
