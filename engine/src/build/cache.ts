import { createHash } from 'node:crypto';
import { readJson, writeJsonAtomic } from '../metadata/atomic.js';

interface CacheFile {
  version: 1;
  /** step key → image id */
  entries: Record<string, string>;
}

/**
 * The build cache index: which image a build step produced, keyed by what determines its result
 * (the parent image id, the step after argument expansion, the content digest of what a
 * COPY/ADD copies, the resulting config). Persisted under the data root so a restarted daemon
 * still hits; an entry whose image was removed is dropped when it is next looked up.
 */
export class BuildCache {
  private entries = new Map<string, string>();
  private dirty = false;
  private writing: Promise<void> = Promise.resolve();
  private loaded?: Promise<void>;

  constructor(private readonly file: string) {}

  static key(parts: unknown[]): string {
    return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
  }

  load(): Promise<void> {
    this.loaded ??= (async () => {
      const data = await readJson<CacheFile>(this.file).catch(() => undefined);
      if (data?.version === 1) this.entries = new Map(Object.entries(data.entries));
    })();
    return this.loaded;
  }

  get(key: string): string | undefined {
    return this.entries.get(key);
  }

  set(key: string, imageId: string): void {
    this.entries.set(key, imageId);
    this.dirty = true;
  }

  delete(key: string): void {
    if (this.entries.delete(key)) this.dirty = true;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Write the index if it changed; writes are serialized (concurrent builds share one index). */
  flush(): Promise<void> {
    this.writing = this.writing.then(async () => {
      if (!this.dirty) return;
      this.dirty = false;
      const data: CacheFile = { version: 1, entries: Object.fromEntries(this.entries) };
      await writeJsonAtomic(this.file, data).catch((err: unknown) => {
        this.dirty = true;
        throw err;
      });
    });
    return this.writing;
  }
}
