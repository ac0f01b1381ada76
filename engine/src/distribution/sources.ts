import { join } from 'node:path';
import { readJson, writeJsonAtomic } from '../metadata/atomic.js';

const MAX_SOURCES_PER_BLOB = 8;

/**
 * Which repositories a blob is known to live in (containerd's `distribution.source` labels):
 * a push tries a cross-repository mount from one of them on the same registry before uploading.
 * Kept in `<stateDir>/blob-sources.json` when a state dir is given, else in memory only.
 */
export class BlobSources {
  private map: Record<string, string[]> | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly stateDir: string | undefined) {}

  /** Repositories (paths) on `domain` that hold `digest`, most recent first. */
  async repositories(domain: string, digest: string): Promise<string[]> {
    const map = await this.load();
    const prefix = `${domain}/`;
    return (map[digest] ?? []).filter((s) => s.startsWith(prefix)).map((s) => s.slice(prefix.length));
  }

  async record(domain: string, repo: string, digests: string[]): Promise<void> {
    const map = await this.load();
    const source = `${domain}/${repo}`;
    for (const digest of digests) {
      const list = (map[digest] ?? []).filter((s) => s !== source);
      list.unshift(source);
      map[digest] = list.slice(0, MAX_SOURCES_PER_BLOB);
    }
    await this.save();
  }

  private async load(): Promise<Record<string, string[]>> {
    if (this.map) return this.map;
    const stored = this.stateDir ? await readJson<Record<string, string[]>>(this.file()) : undefined;
    this.map ??= stored ?? {};
    return this.map;
  }

  private file(): string {
    return join(this.stateDir ?? '.', 'blob-sources.json');
  }

  /** Writes are serialized so concurrent pulls never interleave renames of a stale copy. */
  private save(): Promise<void> {
    if (!this.stateDir || !this.map) return Promise.resolve();
    const snapshot = JSON.stringify(this.map);
    this.writing = this.writing.then(
      () => writeJsonAtomic(this.file(), JSON.parse(snapshot)),
      () => writeJsonAtomic(this.file(), JSON.parse(snapshot)),
    );
    return this.writing;
  }
}
