/** One built file of the console. */
export interface ConsoleAsset {
  readonly body: Uint8Array<ArrayBuffer>;
  readonly contentType: string;
  /** Its name carries a hash of its content, so it may be cached for good. */
  readonly immutable: boolean;
}

/** The built console, by file name (`index.html`, `app-3F2A.js`); the runtime's entry supplies it. */
export interface ConsoleAssets {
  get(name: string): ConsoleAsset | undefined;
}

/** The assets of a `Map`, for entries that read them once and for tests. */
export const mapAssets = (files: ReadonlyMap<string, ConsoleAsset>): ConsoleAssets => ({
  get: (name) => files.get(name),
});
