export declare const MANIFEST: string;
export declare function forgetBuild(outdir: string): void;
export declare function recordBuild(build: {
  readonly root: string;
  readonly outdir: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly startedAt: number;
}): boolean;
export declare function staleReason(paths: {
  readonly root: string;
  readonly outdir: string;
}): string | undefined;
