import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { WHITEOUT_PREFIX } from '../archive/apply.js';
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

interface IndexEntry {
  type: string;
  linkname: string;
  digest: string;
}

const MAX_CAPTURE = 4 * 1024 * 1024;
const MAX_SYMLINK_HOPS = 255;

/**
 * A build context read from its tar stream, without touching the disk: every entry's type,
 * link target and digest (type, mode, owner, size and content; a symlink's target text; mtime
 * left out, as in Docker, so touching a file keeps the cache), the implied directories, and
 * the content of a few wanted small files (the Dockerfile, .dockerignore). A fully cached
 * build needs nothing more, so the context is only extracted when a COPY actually copies.
 */
export class ContextIndex {
  private readonly entries = new Map<string, IndexEntry>();
  private readonly dirs = new Set<string>(['']);
  private readonly captured = new Map<string, Buffer>();
  /** An entry the extractor would refuse was seen: only a real extraction can tell what to do. */
  unsafe = false;

  private constructor(private readonly wanted: ReadonlySet<string>) {}

  /** Consume an uncompressed tar stream and index it; `wanted` names files whose content to keep. */
  static async fromTar(
    source: AsyncIterable<Uint8Array>,
    wanted: ReadonlySet<string> = new Set(),
  ): Promise<ContextIndex> {
    const index = new ContextIndex(wanted);
    const extract = tar.extract();
    // tar-stream's entry events rather than its async iterator: a context is many small
    // entries, and per-entry promise hops cost more than hashing them
    const done = new Promise<void>((resolve, reject) => {
      extract.on('entry', (header, stream, next) => {
        const entry = index.begin(header as Header);
        stream.on('data', (chunk) => entry?.update(chunk as Buffer));
        stream.on('error', (err: Error) => next(err));
        stream.on('end', () => {
          entry?.finish();
          next();
        });
      });
      extract.on('finish', resolve);
      extract.on('close', resolve);
      extract.on('error', reject);
    });
    const feed = Readable.from(source);
    feed.on('error', (err) => extract.destroy(err));
    feed.pipe(extract as unknown as NodeJS.WritableStream);
    await done;
    return index;
  }

  /** Start indexing one entry; undefined for the entries that are not indexed. */
  private begin(h: Header): { update(chunk: Buffer): void; finish(): void } | undefined {
    let rel: string;
    try {
      rel = cleanEntryName(h.name);
    } catch {
      this.unsafe = true;
      return undefined;
    }
    const base = rel.slice(rel.lastIndexOf('/') + 1);
    if (rel === '' || base.startsWith(WHITEOUT_PREFIX)) return undefined;
    const type = h.type ?? 'file';
    const head = `${type} ${((h.mode ?? 0) & 0o7777).toString(8)} ${h.uid ?? 0}:${h.gid ?? 0} ${h.size ?? 0}\n`;
    const hash = createHash('sha256').update(head);
    const keep = type === 'file' && this.wanted.has(rel) && (h.size ?? 0) <= MAX_CAPTURE ? ([] as Buffer[]) : undefined;
    return {
      update: (chunk) => {
        hash.update(chunk);
        keep?.push(chunk);
      },
      finish: () => {
        if (keep) this.captured.set(rel, Buffer.concat(keep));
        else this.captured.delete(rel);
        if (type === 'symlink') hash.update(h.linkname ?? '');
        if (type === 'link') {
          // a hard link has the content of what it links to
          let target = '';
          try {
            target = this.entries.get(cleanEntryName(h.linkname ?? ''))?.digest ?? '';
          } catch {
            target = '';
          }
          hash.update(target);
        }
        this.entries.set(rel, {
          type: type === 'link' || type === 'contiguous-file' ? 'file' : type,
          linkname: h.linkname ?? '',
          digest: hash.digest('hex'),
        });
        for (let i = rel.lastIndexOf('/'); i > 0; i = rel.lastIndexOf('/', i - 1)) this.dirs.add(rel.slice(0, i));
        if (type === 'directory') this.dirs.add(rel);
      },
    };
  }

  /** Resolve `rel` with its symlinks followed inside the context (archive/scope's resolveInScope, on the index). */
  resolve(rel: string): string {
    let resolved: string[] = [];
    let pending = rel.split('/').filter((c) => c !== '' && c !== '.');
    let hops = 0;
    while (pending.length > 0) {
      const c = pending.shift()!;
      if (c === '..') {
        resolved.pop();
        continue;
      }
      const e = this.entries.get([...resolved, c].join('/'));
      if (e?.type !== 'symlink') {
        resolved.push(c);
        continue;
      }
      if (++hops > MAX_SYMLINK_HOPS) throw new Error(`too many levels of symbolic links in ${rel}`);
      if (e.linkname.startsWith('/')) resolved = [];
      pending = [...e.linkname.split('/').filter((x) => x !== '' && x !== '.'), ...pending];
    }
    return resolved.join('/');
  }

  /** What is at a (resolved) path: 'dir', 'file', 'symlink', 'other', or undefined. */
  kind(rel: string): 'dir' | 'file' | 'symlink' | 'other' | undefined {
    const e = this.entries.get(rel);
    if (e)
      return e.type === 'directory'
        ? 'dir'
        : e.type === 'file' || e.type === 'symlink'
          ? (e.type as 'file' | 'symlink')
          : 'other';
    return this.dirs.has(rel) ? 'dir' : undefined;
  }

  /** Every path (entries and the directories they imply), in depth-first name order. */
  paths(): string[] {
    const all = new Set<string>([...this.entries.keys(), ...this.dirs]);
    all.delete('');
    return [...all].sort((a, b) => (pathKey(a) < pathKey(b) ? -1 : 1));
  }

  /** The kept content of a wanted file, by resolved path. */
  content(rel: string): Buffer | undefined {
    return this.captured.get(rel);
  }

  get size(): number {
    return this.entries.size;
  }

  /** The digest of one path (context-relative), or undefined when the tar did not describe it. */
  file(rel: string): string | undefined {
    return this.entries.get(rel)?.digest;
  }

  /** The digest of a directory's contents ('' or '.' for the context root), with the filter's exclusions. */
  directory(rel: string, filter?: TreeFilter, toAbs: (rel: string) => string = (r) => r): string {
    const dir = rel === '.' ? '' : rel;
    const prefix = dir === '' ? '' : `${dir}/`;
    const excludedDirs: string[] = [];
    const picked: [string, string][] = [];
    const keys = [...this.entries.keys()]
      .filter((k) => k.startsWith(prefix))
      .sort((a, b) => (pathKey(a) < pathKey(b) ? -1 : 1));
    for (const key of keys) {
      if (filter) {
        if (!filter.descendExcluded && excludedDirs.some((d) => key.startsWith(`${d}/`))) continue;
        if (filter.excluded(toAbs(key))) {
          excludedDirs.push(key);
          continue;
        }
      }
      picked.push([key.slice(prefix.length), this.entries.get(key)!.digest]);
    }
    const hash = createHash('sha256').update(`d ${this.entries.get(dir)?.digest ?? ''}\n`);
    for (const [k, v] of picked) hash.update(`${k}\0${v}\n`);
    return hash.digest('hex');
  }
}
