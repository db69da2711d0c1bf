/** Builds the edge bundle into `outdir` (see bundle-edge.mjs); resolves to its files and sizes. */
export function buildEdge(outdir: string, entry?: string): Promise<{ file: string; bytes: number }[]>;
