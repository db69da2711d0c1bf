import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { FetchResult, ObjectSource } from "../../shared/sync/object-source";

/** A local file as an object source; its "etag" is the content's SHA-256, so mtime-only changes are no change. */
export function fileSource(path: string): ObjectSource {
  return {
    describe: () => path,
    async fetch(previousEtag, signal): Promise<FetchResult> {
      const body = await readFile(path, { signal });
      const etag = createHash("sha256").update(body).digest("hex");
      return etag === previousEtag ? { changed: false } : { changed: true, etag, body };
    },
  };
}
