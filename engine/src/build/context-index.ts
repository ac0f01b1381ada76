import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { WHITEOUT_PREFIX } from '../archive/apply.js';
import { decompress } from '../archive/decompress.js';
import { cleanEntryName } from '../archive/scope.js';
import type { TreeFilter } from './tree.js';

interface Header {
  name: string;
  type?: string | null;
  mode?: number | null;
  uid?: number | null;
  gid?: number | null;
  size?: number | null;
  linkname?: string | null;
}

/** Sort key that orders paths component by component, as a depth-first walk of sorted directories does. */
function pathKey(rel: string): string {
  return rel.replaceAll('/', '\0');
}

/**
 * Digests of every entry of a build context, computed from the tar stream while it is being
 * extracted, so cache keys need no second read of the files: type, mode, owner, size and
 * content (a symlink's target text; mtime left out, as in Docker, so touching a file keeps the
 * cache). A directory's digest covers the digests and relative paths of what it holds.
 */
export class ContextIndex {
  private readonly entries = new Map<string, string>();

  /** Consume a (possibly compressed) tar stream and index it. Bad archives are left to the extractor to report. */
  static async fromTar(source: AsyncIterable<Uint8Array>): Promise<ContextIndex> {
    const index = new ContextIndex();
    const extract = tar.extract();
    const feed = Readable.from(decompress(source));
    feed.on('error', (err) => extract.destroy(err));
    feed.pipe(extract as unknown as NodeJS.WritableStream);
    for await (const entry of extract as unknown as AsyncIterable<AsyncIterable<Buffer> & { header: Header }>) {
      await index.add(entry.header, entry);
    }
    return index;
  }

  private async add(h: Header, content: AsyncIterable<Buffer>): Promise<void> {
    let rel: string;
    try {
      rel = cleanEntryName(h.name);
    } catch {
      for await (const _ of content) void _;
      return;
    }
    const base = rel.slice(rel.lastIndexOf('/') + 1);
    if (rel === '' || base.startsWith(WHITEOUT_PREFIX)) {
      for await (const _ of content) void _;
      return;
    }
    const type = h.type ?? 'file';
    const head = `${type} ${((h.mode ?? 0) & 0o7777).toString(8)} ${h.uid ?? 0}:${h.gid ?? 0} ${h.size ?? 0}\n`;
    const hash = createHash('sha256').update(head);
    for await (const chunk of content) hash.update(chunk);
    if (type === 'symlink') hash.update(h.linkname ?? '');
    if (type === 'link') {
      // a hard link has the content of what it links to
      let target = '';
      try {
        target = this.entries.get(cleanEntryName(h.linkname ?? '')) ?? '';
      } catch {
        target = '';
      }
      hash.update(target);
    }
    this.entries.set(rel, hash.digest('hex'));
  }

  get size(): number {
    return this.entries.size;
  }

  /** The digest of one path (context-relative), or undefined when the tar did not describe it. */
  file(rel: string): string | undefined {
    return this.entries.get(rel);
  }

  /** The digest of a directory's contents ('' or '.' for the context root), with the filter's exclusions. */
  directory(rel: string, filter?: TreeFilter, toAbs: (rel: string) => string = (r) => r): string {
    const dir = rel === '.' ? '' : rel;
    const prefix = dir === '' ? '' : `${dir}/`;
    const excludedDirs: string[] = [];
    const picked: [string, string][] = [];
    const keys = [...this.entries.keys()].filter((k) => k.startsWith(prefix)).sort((a, b) => (pathKey(a) < pathKey(b) ? -1 : 1));
    for (const key of keys) {
      if (filter) {
        if (!filter.descendExcluded && excludedDirs.some((d) => key.startsWith(`${d}/`))) continue;
        if (filter.excluded(toAbs(key))) {
          excludedDirs.push(key);
          continue;
        }
      }
      picked.push([key.slice(prefix.length), this.entries.get(key)!]);
    }
    const hash = createHash('sha256').update(`d ${this.entries.get(dir) ?? ''}\n`);
    for (const [k, v] of picked) hash.update(`${k}\0${v}\n`);
    return hash.digest('hex');
  }
}
