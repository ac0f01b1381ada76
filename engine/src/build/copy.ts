import { spawn } from 'node:child_process';
import type { Stats } from 'node:fs';
import { createReadStream } from 'node:fs';
import {
  chmod,
  chown,
  copyFile,
  lchown,
  lstat,
  lutimes,
  mkdir,
  open,
  readlink,
  rm,
  symlink,
  utimes,
} from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import type { Readable } from 'node:stream';
import { applyLayer } from '../archive/apply.js';
import { decompress, detectCompression } from '../archive/decompress.js';
import { resolveInScope } from '../archive/scope.js';
import { mknod } from '../archive/sys.js';
import { EngineError } from '../errors.js';
import type { CopySource } from './context.js';
import { walkTree } from './tree.js';

export interface Identity {
  uid: number;
  gid: number;
}

export interface CopyOptions {
  /** Owner of everything copied; undefined keeps the source's (COPY --from without --chown). */
  identity?: Identity;
  /** ADD: a local tar archive (plain, gzip, zstd, bzip2, xz) is unpacked at the destination. */
  decompress?: boolean;
}

const ROOT: Identity = { uid: 0, gid: 0 };
const COPY_CONCURRENCY = 16;

/**
 * COPY/ADD into a mounted container root, with the classic builder's semantics: a directory
 * source copies its contents into the destination; a file goes to `dest/<name>` when the
 * destination ends in '/' or is an existing directory, else to `dest` itself; missing parents
 * are created (0755). Every path is resolved inside `rootfs` with symlinks scoped to it, and a
 * directory's entries inside the directory destination (as Docker untars there chrooted); the
 * last component of a written path is never followed: what is there is replaced.
 */
export async function copySources(
  rootfs: string,
  dest: string,
  sources: CopySource[],
  opts: CopyOptions,
): Promise<void> {
  const dirDest = dest.endsWith('/');
  for (const src of sources) {
    const destPath = await resolveInScope(rootfs, dest);
    if (src.isDir) {
      await copyDirectory(rootfs, src, destPath, opts.identity);
      continue;
    }
    const archive = opts.decompress ? await archiveFormat(src.path) : undefined;
    if (archive) {
      await mkdirAll(rootfs, destPath, ROOT);
      await applyLayer(await archiveStream(src.path, archive), destPath);
      continue;
    }
    const target = dirDest || (await isDirectory(destPath)) ? join(destPath, basename(src.origin)) : destPath;
    await mkdirAll(rootfs, dirname(target), opts.identity ?? ROOT);
    await copyEntry(src.path, await lstat(src.path), target, opts.identity);
  }
}

async function isDirectory(path: string): Promise<boolean> {
  return (await lstat(path).catch(() => undefined))?.isDirectory() ?? false;
}

/** Create the missing directories of `path` (already resolved inside `rootfs`), owned by `owner`. */
async function mkdirAll(rootfs: string, path: string, owner: Identity): Promise<void> {
  const parts = relative(rootfs, path).split('/').filter(Boolean);
  let cur = rootfs;
  for (const part of parts) {
    cur = join(cur, part);
    const st = await lstat(cur).catch(() => undefined);
    if (st?.isDirectory()) continue;
    if (st) throw new EngineError('BAD_PARAMETER', `mkdir ${relative(rootfs, cur)}: not a directory`);
    await mkdir(cur, { mode: 0o755 });
    await chown(cur, owner.uid, owner.gid);
  }
}

async function copyDirectory(
  rootfs: string,
  src: CopySource,
  destPath: string,
  identity: Identity | undefined,
): Promise<void> {
  const existed = await isDirectory(destPath);
  await mkdirAll(rootfs, destPath, ROOT);
  // the destination itself takes the chown only when this copy created it (moby's fixPermissions)
  if (!existed && identity) await chown(destPath, identity.uid, identity.gid);
  const parents = new Map<string, string>([['', destPath]]);
  const dirTimes: { path: string; st: Stats }[] = [];
  // Directories are made in walk order; files and links are copied a few at a time (creating
  // many small files is latency-bound, and their parents always exist by then).
  const inflight = new Set<Promise<void>>();
  let failure: unknown;
  for await (const e of walkTree(src.path, src.filter)) {
    if (failure) break;
    if (e.rel === '') continue;
    const parentRel = dirname(e.rel) === '.' ? '' : dirname(e.rel);
    let parent = parents.get(parentRel);
    if (parent === undefined) {
      // a directory the walk did not yield (excluded, with re-included entries inside)
      parent = await resolveInScope(destPath, parentRel);
      await mkdirAll(rootfs, parent, identity ?? ROOT);
      parents.set(parentRel, parent);
    }
    const target = join(parent, basename(e.rel));
    if (e.st.isDirectory()) {
      await copyEntry(e.abs, e.st, target, identity);
      parents.set(e.rel, target);
      dirTimes.push({ path: target, st: e.st });
      continue;
    }
    const task: Promise<void> = copyEntry(e.abs, e.st, target, identity).then(
      () => void inflight.delete(task),
      (err: unknown) => {
        failure ??= err;
        inflight.delete(task);
      },
    );
    inflight.add(task);
    if (inflight.size >= COPY_CONCURRENCY) await Promise.race(inflight);
  }
  await Promise.all(inflight);
  if (failure) throw failure;
  // directory times last: creating their entries changed them
  for (const { path, st } of dirTimes.reverse()) await utimes(path, st.atime, st.mtime);
}

/** Copy one entry to `target`, replacing whatever is there (a directory over a directory merges). */
async function copyEntry(from: string, st: Stats, target: string, identity: Identity | undefined): Promise<void> {
  const owner = identity ?? { uid: st.uid, gid: st.gid };
  const existing = await lstat(target).catch(() => undefined);
  if (existing && !(existing.isDirectory() && st.isDirectory())) await rm(target, { recursive: true, force: true });
  const mode = st.mode & 0o7777;
  if (st.isDirectory()) {
    if (!existing?.isDirectory()) await mkdir(target, { mode: 0o700 });
    await chown(target, owner.uid, owner.gid);
    await chmod(target, mode);
  } else if (st.isFile()) {
    await copyFile(from, target);
    await chown(target, owner.uid, owner.gid);
    await chmod(target, mode); // after chown, which clears setuid/setgid
    await utimes(target, st.atime, st.mtime);
  } else if (st.isSymbolicLink()) {
    await symlink(await readlink(from), target);
    await lchown(target, owner.uid, owner.gid);
    await lutimes(target, st.atime, st.mtime);
  } else if (st.isFIFO() || st.isCharacterDevice() || st.isBlockDevice()) {
    const kind = st.isFIFO() ? 'p' : st.isCharacterDevice() ? 'c' : 'b';
    const [major, minor] = splitDev(BigInt(st.rdev));
    await mknod(target, kind, major, minor);
    await lchown(target, owner.uid, owner.gid);
    await chmod(target, mode);
  }
  // sockets are not copied (they cannot be archived either)
}

/** glibc's major()/minor() on a 64-bit dev_t. */
function splitDev(rdev: bigint): [number, number] {
  return [
    Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn)),
    Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn)),
  ];
}

type ArchiveFormat = 'tar' | 'compressed' | 'bzip2' | 'xz';

/** Whether ADD unpacks this file: a tar, possibly compressed (moby's isArchivePath). */
export async function archiveFormat(path: string): Promise<ArchiveFormat | undefined> {
  const fh = await open(path, 'r');
  const head = Buffer.alloc(512);
  let n: number;
  try {
    ({ bytesRead: n } = await fh.read(head, 0, 512, 0));
  } finally {
    await fh.close();
  }
  const bytes = head.subarray(0, n);
  if (detectCompression(bytes) !== 'none')
    return (await firstBlockIsTar(path, 'compressed')) ? 'compressed' : undefined;
  if (bytes.subarray(0, 3).toString('latin1') === 'BZh')
    return (await firstBlockIsTar(path, 'bzip2')) ? 'bzip2' : undefined;
  if (bytes.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])))
    return (await firstBlockIsTar(path, 'xz')) ? 'xz' : undefined;
  return isTarHeader(bytes) ? 'tar' : undefined;
}

/** A tar header block: ustar magic, or an old-style header whose checksum adds up. */
function isTarHeader(block: Buffer): boolean {
  if (block.length < 512) return false;
  const magic = block.subarray(257, 262).toString('latin1');
  if (magic === 'ustar') return true;
  const stored = Number.parseInt(block.subarray(148, 156).toString('latin1').replace(/\0.*$/s, '').trim(), 8);
  if (!Number.isFinite(stored) || block[0] === 0) return false;
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : block[i]!;
  return sum === stored;
}

async function firstBlockIsTar(path: string, format: ArchiveFormat): Promise<boolean> {
  const stream = await archiveStream(path, format, true);
  const chunks: Buffer[] = [];
  let len = 0;
  try {
    for await (const chunk of stream) {
      chunks.push(Buffer.from(chunk));
      len += chunk.length;
      if (len >= 512) break;
    }
  } catch {
    return false;
  } finally {
    (stream as Readable).destroy?.();
  }
  return isTarHeader(Buffer.concat(chunks).subarray(0, 512));
}

/**
 * The archive's tar stream. gzip and zstd are decompressed by applyLayer itself; bzip2 and xz
 * (which ADD also accepts) have no Node decoder, so Debian's `bzip2`/`xz` decode them.
 */
async function archiveStream(
  path: string,
  format: ArchiveFormat,
  decodeAll = false,
): Promise<AsyncIterable<Uint8Array>> {
  if (format === 'bzip2' || format === 'xz') return decodeWith(format === 'xz' ? 'xz' : 'bzip2', path);
  if (format === 'compressed' && decodeAll) return decompress(createReadStream(path));
  return createReadStream(path);
}

/** Decompressed bytes from Debian's decoder; a decoder failure is an error, never a short archive. */
async function* decodeWith(program: string, path: string): AsyncGenerator<Uint8Array> {
  const child = spawn(program, ['-dc', '--', path], { stdio: ['ignore', 'pipe', 'pipe'] });
  const stderr: Buffer[] = [];
  child.stderr.on('data', (d: Buffer) => stderr.push(d));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
  let finished = false;
  try {
    for await (const chunk of child.stdout) yield chunk as Buffer;
    finished = true;
  } finally {
    if (!finished) child.kill();
  }
  const code = await exited;
  if (code !== 0)
    throw new EngineError(
      'INVALID_ARCHIVE',
      `${program} -d: ${Buffer.concat(stderr).toString().trim() || `exit ${code}`}`,
    );
}
