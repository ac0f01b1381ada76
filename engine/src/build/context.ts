import { createHash } from 'node:crypto';
import { lstat, mkdir, readFile, rm, stat } from 'node:fs/promises';
import { posix, relative } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { applyLayer } from '../archive/apply.js';
import { decompress } from '../archive/decompress.js';
import { resolveInScope } from '../archive/scope.js';
import { EngineError } from '../errors.js';
import type { Logger } from '../log.js';
import { ContextIndex } from './context-index.js';
import { DockerIgnore } from './dockerignore.js';
import { goPatternToRegExp, hasWildcards } from './match.js';
import { type TreeFilter, TreeHasher, walkTree } from './tree.js';

/**
 * The context's tar, decompressed, with its end made whole: `docker build -f -` appends the
 * Dockerfile to the context with a tar writer it never closes, so the last entry lacks its
 * padding and the archive its end marker (dockerd's Go reader tolerates this, tar-stream does
 * not). Zero blocks after a complete archive change nothing.
 */
async function* terminated(source: Readable | AsyncIterable<Uint8Array>): AsyncGenerator<Buffer> {
  let total = 0;
  for await (const chunk of decompress(source)) {
    total += chunk.length;
    yield chunk;
  }
  yield Buffer.alloc(((512 - (total % 512)) % 512) + 1024);
}

/** Two consumers of one stream, each with back-pressure; a destroyed consumer is skipped. */
function tee(source: Readable | AsyncIterable<Uint8Array>): [PassThrough, PassThrough, Promise<void>] {
  const a = new PassThrough();
  const b = new PassThrough();
  const ready = (s: PassThrough) =>
    new Promise<void>((resolve) => {
      const done = () => {
        s.off('drain', done);
        s.off('close', done);
        resolve();
      };
      s.on('drain', done);
      s.on('close', done);
    });
  const pump = (async () => {
    try {
      for await (const chunk of source) {
        if (a.destroyed && b.destroyed) break;
        if (!a.destroyed) a.write(chunk);
        if (!b.destroyed) b.write(chunk);
        // check the flag, not write()'s result: one may drain while we wait for the other
        if (a.writableNeedDrain && !a.destroyed) await ready(a);
        if (b.writableNeedDrain && !b.destroyed) await ready(b);
      }
      a.end();
      b.end();
    } catch (err) {
      a.destroy(err as Error);
      b.destroy(err as Error);
    }
  })();
  return [a, b, pump];
}

/** One thing a COPY/ADD copies: a file or a directory (whose contents are copied). */
export interface CopySource {
  /** The path as named or matched: a file keeps this base name at a directory destination. */
  origin: string;
  /** Resolved path on the host. */
  path: string;
  isDir: boolean;
  /** What to leave out when copying a directory (the .dockerignore'd paths). */
  filter?: TreeFilter;
}

/** A COPY/ADD source path, cleaned and kept inside its root (Docker's "forbidden path outside the build context"). */
export function cleanSourcePath(raw: string): string {
  const norm = posix.normalize(raw);
  if (norm === '..' || norm.startsWith('../')) throw new EngineError('BAD_PARAMETER', `forbidden path outside the build context: ${raw} ()`);
  const rel = posix.normalize(`/${raw}`).replace(/^\/+/, '');
  return rel === '' ? '.' : rel;
}

export function notFound(rel: string): EngineError {
  return new EngineError('BAD_PARAMETER', `file not found in build context or excluded by .dockerignore: stat ${rel}: file does not exist`);
}

/**
 * Resolve COPY/ADD sources under `root` with Docker's rules: a wildcard pattern matches every
 * path of the tree (Go filepath.Match on the whole relative path), anything else is one path
 * whose symlinks are followed inside `root`. `isExcluded` takes root-relative paths;
 * `hasExceptions` says whether excluded directories may hold re-included paths.
 */
export async function resolveSources(
  root: string,
  patterns: string[],
  isExcluded: (rel: string) => boolean = () => false,
  hasExceptions = false,
): Promise<CopySource[]> {
  const filter: TreeFilter = { excluded: (abs) => isExcluded(relative(root, abs)), descendExcluded: hasExceptions };
  const out: CopySource[] = [];
  for (const raw of patterns) {
    const rel = cleanSourcePath(raw);
    if (hasWildcards(rel)) {
      const re = goPatternToRegExp(rel);
      const before = out.length;
      for await (const e of walkTree(root, filter)) {
        if (e.rel === '' || !re.test(e.rel)) continue;
        out.push(await single(root, e.rel, filter));
      }
      if (out.length === before) throw new EngineError('BAD_PARAMETER', 'no source files were specified');
      continue;
    }
    if (isExcluded(rel)) throw notFound(rel);
    out.push(await single(root, rel, filter));
  }
  return out;
}

async function single(root: string, rel: string, filter: TreeFilter): Promise<CopySource> {
  const path = await resolveInScope(root, rel === '.' ? '' : rel);
  const st = await stat(path).catch(() => undefined);
  if (!st || (path !== root && filter.excluded(path))) throw notFound(rel);
  return { origin: rel, path, isDir: st.isDirectory(), filter };
}

/**
 * The build context: the client's tar, extracted with the engine's secure layer extraction
 * into a private directory, plus its .dockerignore. The docker CLI already leaves ignored files
 * out; the rules are applied again here for API clients that send a raw tar, and so that the
 * Dockerfile and .dockerignore (always sent) are not copied when they are ignored.
 */
export class BuildContext {
  private ignore = new DockerIgnore(undefined);
  private readonly hasher = new TreeHasher();
  private index: ContextIndex | undefined;

  private constructor(readonly dir: string) {}

  /**
   * Extract the context and, from the same bytes, index its digests (so cache keys need no
   * second read of the files). Should indexing fail, digests are computed from the files.
   */
  static async extract(source: Readable | AsyncIterable<Uint8Array>, dir: string, log?: Logger): Promise<BuildContext> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const ctx = new BuildContext(dir);
    const [toDisk, toIndex, pump] = tee(terminated(source));
    const indexing = ContextIndex.fromTar(toIndex)
      .catch(() => undefined)
      .finally(() => toIndex.destroy());
    try {
      try {
        await applyLayer(toDisk, dir, log ? { log } : {});
      } finally {
        toDisk.destroy();
        await pump;
      }
      ctx.index = await indexing;
      const ignoreFile = await resolveInScope(dir, '.dockerignore');
      const text = await readFile(ignoreFile, 'utf8').catch(() => undefined);
      ctx.ignore = new DockerIgnore(text);
    } catch (err) {
      await ctx.remove();
      throw err;
    }
    return ctx;
  }

  isExcluded(rel: string): boolean {
    return this.ignore.ignores(rel);
  }

  /** The Dockerfile's text; the default name falls back to `dockerfile`, as dockerd does. */
  async dockerfile(name: string | undefined): Promise<{ name: string; text: string }> {
    const candidates = name ? [name] : ['Dockerfile', 'dockerfile'];
    for (const c of candidates) {
      const rel = posix.normalize(c.replace(/^\/+/, ''));
      if (rel === '..' || rel.startsWith('../')) throw new EngineError('BAD_PARAMETER', `the Dockerfile (${c}) must be within the build context`);
      const path = await resolveInScope(this.dir, rel);
      const st = await lstat(path).catch(() => undefined);
      if (st?.isFile()) return { name: c, text: await readFile(path, 'utf8') };
    }
    throw new EngineError('BAD_PARAMETER', `Cannot locate specified Dockerfile: ${name ?? 'Dockerfile'}`);
  }

  sources(patterns: string[]): Promise<CopySource[]> {
    return resolveSources(this.dir, patterns, (rel) => this.isExcluded(rel), this.ignore.hasExceptions);
  }

  /** Docker's source hash for the cache: `file:<hex>`/`dir:<hex>` for one source, `multi:<hex>` for several. */
  async digest(sources: CopySource[]): Promise<string> {
    const parts = await Promise.all(sources.map(async (s) => `${s.isDir ? 'dir' : 'file'}:${await this.sourceDigest(s)}`));
    if (parts.length === 1) return parts[0]!;
    return `multi:${createHash('sha256').update(parts.join(',')).digest('hex')}`;
  }

  private async sourceDigest(s: CopySource): Promise<string> {
    const rel = relative(this.dir, s.path);
    if (this.index && !rel.startsWith('..')) {
      if (s.isDir) return this.index.directory(rel, s.filter, (r) => `${this.dir}/${r}`);
      const d = this.index.file(rel);
      if (d) return d;
    }
    return this.hasher.digest(s.path, s.isDir ? s.filter : undefined);
  }

  async remove(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}
