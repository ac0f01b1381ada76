import { createHash } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  closeSync,
  fchmodSync,
  fchownSync,
  futimesSync,
  lchownSync,
  linkSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  openSync,
  type Stats,
  symlinkSync,
  writeSync,
} from 'node:fs';
import { copyFile, lstat, readlink, realpath, rm, symlink, utimes } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import type { Readable } from 'node:stream';
import tar, { type Header as TarStreamHeader } from 'tar-stream';
import { drainOrClose } from '../drain.js';
import { EngineError, isEngineError } from '../errors.js';
import type { Logger } from '../log.js';
import { type Compression, decompress } from './decompress.js';
import { cleanEntryName, resolveInScope } from './scope.js';
import { mknod, setXattr, setXattrMany } from './sys.js';

export const WHITEOUT_PREFIX = '.wh.';
export const WHITEOUT_META_PREFIX = '.wh..wh.';
export const OPAQUE_WHITEOUT = '.wh..wh..opq';
export const OVERLAY_OPAQUE_XATTR = 'trusted.overlay.opaque';

/** A bound far above real layers, so a gzip bomb stops instead of filling the disk. */
export const DEFAULT_MAX_UNCOMPRESSED_BYTES = 64 * 1024 ** 3;

export interface ApplyOptions {
  /** The lower layers' directories, topmost first (hard links may point into them). */
  lowerDirs?: string[];
  maxUncompressedBytes?: number;
  log?: Logger;
}

export interface ApplyResult {
  /** sha256 of the uncompressed tar: the layer's diffID. */
  diffId: string;
  /** Sum of the entries' content sizes, as Docker counts a layer's size. */
  size: number;
  compression: Compression;
}

/** tar-stream fills `pax` on extraction; its typings omit it. */
export type TarHeader = Partial<TarStreamHeader> & { name: string; pax?: Record<string, string> | null };
type Header = TarHeader;

/**
 * Extract one OCI/Docker layer into an overlay upper directory.
 *
 * The per-entry metadata calls (lstat, open, chown, chmod, utimes, mkdir, symlink, link) are
 * synchronous on purpose: each takes microseconds, while a promise call waits a thread-pool round
 * trip, and a layer makes eight of them per file one after another — which made extraction six
 * times slower than GNU tar. The event loop still turns between entries (the tar stream is async). Whiteouts become overlay
 * whiteouts (0:0 character devices) and opaque markers the `trusted.overlay.opaque` xattr.
 * Nothing is ever created outside `upperDir`: names are cleaned and refused when they climb out,
 * parent directories are resolved with symlinks scoped to `upperDir`, the last component is
 * never followed (an existing entry is removed and replaced, except directory over directory
 * which merges), and hard-link targets are resolved the same way.
 *
 * Hard links to a file that only exists in a lower layer: each layer has its own upper
 * directory and a hard link cannot span them, so the file is first copied up into this layer
 * (content, owner, mode, mtime — what overlayfs itself would do on write) and then linked.
 *
 * Bad input (path escapes, broken tar, corrupt compression, bombs) throws INVALID_ARCHIVE and
 * may leave a partial `upperDir`: the caller removes the snapshot it belongs to.
 */
export async function applyLayer(
  source: Readable | AsyncIterable<Uint8Array>,
  upperDir: string,
  opts: ApplyOptions = {},
): Promise<ApplyResult> {
  const root = await realpath(upperDir);
  const hash = createHash('sha256');
  let compression: Compression = 'none';
  const extract = tar.extract() as unknown as ExtractStream;
  const feeder = (async () => {
    try {
      const max = opts.maxUncompressedBytes ?? DEFAULT_MAX_UNCOMPRESSED_BYTES;
      for await (const chunk of decompress(source, { maxBytes: max }, (c) => (compression = c))) {
        hash.update(chunk);
        if (extract.destroyed) return;
        if (!extract.write(chunk)) await drainOrClose(extract);
      }
      extract.end();
    } catch (err) {
      extract.destroy(err as Error);
    }
  })();
  const applier = new LayerApplier(root, opts);
  try {
    for await (const entry of extract) {
      try {
        await applier.apply(entry.header, entry);
      } finally {
        entry.resume(); // drain whatever the handler did not read
      }
    }
    await feeder;
    await applier.finish();
  } catch (err) {
    extract.destroy(err as Error);
    await feeder;
    throw asArchiveError(err);
  }
  return { diffId: `sha256:${hash.digest('hex')}`, size: applier.size, compression };
}

/** What we use of tar-stream's extractor (a streamx Writable; its typings are stricter than its API). */
interface ExtractStream extends NodeJS.EventEmitter, AsyncIterable<TarEntry> {
  destroyed: boolean;
  write(chunk: Uint8Array): boolean;
  end(): void;
  destroy(err?: Error): void;
}
interface TarEntry extends AsyncIterable<Uint8Array> {
  header: TarHeader;
  resume(): void;
}

/** Errors that mean "this archive is bad" rather than "this machine has a problem". */
const ARCHIVE_ERRNOS = new Set([
  'ENOENT',
  'ENAMETOOLONG',
  'ELOOP',
  'ENOTDIR',
  'EISDIR',
  'EEXIST',
  'ENOTEMPTY',
  'EPERM',
]);

function asArchiveError(err: unknown): unknown {
  if (isEngineError(err)) return err;
  const e = err as NodeJS.ErrnoException;
  // no code: tar-stream/fzstd parse errors; Z_*: zlib; STREAM_*: streamx aborts on a truncated tar
  if (e.code === undefined || /^(Z_|ERR_|STREAM_)/.test(e.code) || ARCHIVE_ERRNOS.has(e.code)) {
    return new EngineError('INVALID_ARCHIVE', e.message ?? String(err));
  }
  return err;
}

class LayerApplier {
  size = 0;
  /** Resolved, existing parent directories by relative name; cleared whenever the tree's shape may change. */
  private readonly dirCache = new Map<string, string>();
  private readonly dirTimes: { path: string; mtime: Date }[] = [];
  private readonly opaque = new Set<string>();

  constructor(
    private readonly root: string,
    private readonly opts: ApplyOptions,
  ) {}

  async apply(h: Header, content: AsyncIterable<Uint8Array>): Promise<void> {
    const rel = cleanEntryName(h.name);
    if (rel === '') return; // the root's own metadata belongs to the snapshot, as in moby
    const name = basename(rel);
    const parentRel = dirname(rel) === '.' ? '' : dirname(rel);

    if (name.startsWith(WHITEOUT_PREFIX)) return this.whiteout(parentRel, name, h);
    const parent = await this.ensureDir(parentRel);
    const target = join(parent, name);
    const existing = lstatOrUndefined(target);
    if (existing && !(existing.isDirectory() && h.type === 'directory')) {
      await rm(target, { recursive: true, force: true });
      this.dirCache.clear();
    }
    const mode = (h.mode ?? 0o644) & 0o7777;
    const uid = h.uid ?? 0;
    const gid = h.gid ?? 0;
    const mtime = h.mtime ?? new Date(0);
    switch (h.type) {
      case 'file':
      case 'contiguous-file': {
        // 'wx' = O_CREAT|O_EXCL: never opens through a symlink planted at the last component
        const fd = openSync(target, 'wx', 0o600);
        try {
          for await (const chunk of content) {
            for (let off = 0; off < chunk.length; ) off += writeSync(fd, chunk, off);
            this.size += chunk.length;
          }
          fchownSync(fd, uid, gid);
          fchmodSync(fd, mode); // after chown, which clears setuid/setgid
          futimesSync(fd, mtime, mtime);
        } finally {
          closeSync(fd);
        }
        break;
      }
      case 'directory':
        if (!existing?.isDirectory()) mkdirSync(target, { mode: 0o755 });
        chownSync(target, uid, gid);
        chmodSync(target, mode);
        this.dirTimes.push({ path: target, mtime });
        break;
      case 'symlink':
        // the target text is stored as is; it is only ever resolved in a container's root
        symlinkSync(h.linkname ?? '', target);
        this.dirCache.clear();
        lchownSync(target, uid, gid);
        lutimesSync(target, mtime, mtime);
        break;
      case 'link':
        linkSync(await this.hardlinkSource(h.linkname ?? ''), target);
        return; // same inode: its metadata is the target's
      case 'character-device':
      case 'block-device':
      case 'fifo': {
        const kind = h.type === 'fifo' ? 'p' : h.type === 'block-device' ? 'b' : 'c';
        await mknod(target, kind, h.devmajor ?? 0, h.devminor ?? 0);
        lchownSync(target, uid, gid);
        chmodSync(target, mode);
        lutimesSync(target, mtime, mtime);
        break;
      }
      default:
        this.opts.log?.warn({ name: h.name, type: h.type }, 'skipping unsupported tar entry type');
        return;
    }
    await this.applyXattrs(target, h);
  }

  /** Directory times last (creating children changes them) and opaque markers in one spawn. */
  async finish(): Promise<void> {
    const opaque: string[] = [];
    for (const dir of this.opaque) if (await this.stillInside(dir, true)) opaque.push(dir);
    if (opaque.length > 0) await setXattrMany(opaque, OVERLAY_OPAQUE_XATTR, 'y');
    for (const { path, mtime } of this.dirTimes.reverse()) {
      if (await this.stillInside(path, true)) await utimes(path, mtime, mtime);
    }
  }

  private async whiteout(parentRel: string, name: string, h: Header): Promise<void> {
    if (name === OPAQUE_WHITEOUT) {
      this.opaque.add(await this.ensureDir(parentRel));
      return;
    }
    if (name.startsWith(WHITEOUT_META_PREFIX)) return; // aufs bookkeeping (.wh..wh.plnk etc.): ignored, as moby does
    const hidden = name.slice(WHITEOUT_PREFIX.length);
    if (hidden === '' || hidden === '.' || hidden === '..') {
      throw new EngineError('INVALID_ARCHIVE', `invalid whiteout ${JSON.stringify(h.name)}`);
    }
    const parent = await this.ensureDir(parentRel);
    const target = join(parent, hidden);
    if (lstatOrUndefined(target)) {
      await rm(target, { recursive: true, force: true });
      this.dirCache.clear();
    }
    await mknod(target, 'c', 0, 0);
    lchownSync(target, h.uid ?? 0, h.gid ?? 0);
  }

  /**
   * The directory for `rel`, created when missing. Directories this layer does not describe take
   * their owner and mode from the same directory in a lower layer (else root:root 0755), so an
   * implicit parent does not change what the container sees.
   */
  private async ensureDir(rel: string): Promise<string> {
    if (rel === '') return this.root;
    const cached = this.dirCache.get(rel);
    if (cached) return cached;
    const abs = await resolveInScope(this.root, rel);
    const parts = relative(this.root, abs).split('/').filter(Boolean);
    let cur = this.root;
    for (let i = 0; i < parts.length; i++) {
      cur = join(cur, parts[i]!);
      const st = lstatOrUndefined(cur);
      if (st?.isDirectory()) continue;
      if (st) throw new EngineError('INVALID_ARCHIVE', `${parts.slice(0, i + 1).join('/')} is not a directory`);
      mkdirSync(cur, { mode: 0o755 });
      const lower = await this.findInLowers(parts.slice(0, i + 1).join('/'));
      if (lower?.st.isDirectory()) {
        chownSync(cur, lower.st.uid, lower.st.gid);
        chmodSync(cur, lower.st.mode & 0o7777);
      }
    }
    this.dirCache.set(rel, abs);
    return abs;
  }

  /** Resolve a hard link's target inside this layer, copying it up from a lower layer if needed. */
  private async hardlinkSource(linkname: string): Promise<string> {
    const rel = cleanEntryName(linkname);
    if (rel === '') throw new EngineError('INVALID_ARCHIVE', `hard link to the root: ${JSON.stringify(linkname)}`);
    const parent = await this.ensureDir(dirname(rel) === '.' ? '' : dirname(rel));
    const src = join(parent, basename(rel));
    const st = lstatOrUndefined(src);
    if (st && !isWhiteout(st)) {
      if (st.isDirectory()) throw new EngineError('INVALID_ARCHIVE', `hard link to a directory: ${linkname}`);
      return src;
    }
    const lower = await this.findInLowers(relative(this.root, src));
    if (!lower || lower.st.isDirectory()) {
      throw new EngineError(
        'INVALID_ARCHIVE',
        `hard link target ${JSON.stringify(linkname)} does not exist in the layer`,
      );
    }
    if (st) await rm(src, { force: true });
    await copyUp(lower.path, src, lower.st);
    return src;
  }

  /** The entry at `rel` in the topmost lower layer that has it (a whiteout there hides it). */
  private async findInLowers(rel: string) {
    for (const dir of this.opts.lowerDirs ?? []) {
      const path = await resolveInScope(dir, rel);
      const st = lstatOrUndefined(path);
      if (st && isWhiteout(st)) return undefined;
      if (st) return { path, st };
    }
    return undefined;
  }

  private async applyXattrs(target: string, h: Header): Promise<void> {
    for (const [key, value] of Object.entries(h.pax ?? {})) {
      if (!key.startsWith('SCHILY.xattr.')) continue;
      const name = key.slice('SCHILY.xattr.'.length);
      // overlay's own attributes would let a layer redirect or hide paths in other layers
      if (name.startsWith('trusted.overlay.') || !/^(user|security|trusted)\./.test(name)) continue;
      // tar-stream decodes PAX values as UTF-8: a binary value arrives damaged; skip it, never set garbage
      if (value.includes('\uFFFD')) {
        this.opts.log?.warn({ name: h.name, xattr: name }, 'skipping binary xattr value');
        continue;
      }
      try {
        await setXattr(target, name, Buffer.from(value, 'utf8'));
      } catch (err) {
        this.opts.log?.warn({ name: h.name, xattr: name, err: String(err) }, 'could not set xattr');
      }
    }
  }

  /** True when `path` still sits under the root through real directories only (no symlink swapped in). */
  private async stillInside(path: string, wantDir: boolean): Promise<boolean> {
    try {
      if ((await realpath(dirname(path))) !== dirname(path)) return false;
      const st = await lstat(path);
      return wantDir ? st.isDirectory() : !st.isSymbolicLink();
    } catch {
      return false;
    }
  }
}

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw err;
  }
}

function isWhiteout(st: { isCharacterDevice(): boolean; rdev: number }): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}

async function copyUp(from: string, to: string, st: Stats): Promise<void> {
  if (st.isSymbolicLink()) {
    await symlink(await readlink(from), to);
  } else if (st.isFile()) {
    await copyFile(from, to);
    chownSync(to, st.uid, st.gid);
    chmodSync(to, st.mode & 0o7777);
    await utimes(to, st.mtime, st.mtime);
    return;
  } else {
    throw new EngineError('INVALID_ARCHIVE', `hard link to a special file in a lower layer: ${from}`);
  }
  lchownSync(to, st.uid, st.gid);
  lutimesSync(to, st.mtime, st.mtime);
}
