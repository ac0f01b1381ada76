import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import tar from 'tar-stream';
import { createImageService, type ImageStore } from '../../src/images/service.js';
import type { ImageUser } from '../../src/images/types.js';
import { createLogger } from '../../src/log.js';
import type { Mount } from '../../src/snapshots/types.js';
import { mountAll } from '../snapshots/mount.js';

export interface TestStore {
  root: string;
  store: ImageStore;
  /** What the fake daemon reports as the container using an image. */
  users: Map<string, ImageUser>;
  cleanup(): Promise<void>;
}

export async function newStore(): Promise<TestStore> {
  const root = await mkdtemp(join(tmpdir(), 'berth-images-'));
  const users = new Map<string, ImageUser>();
  const store = await createImageService(root, createLogger('silent'), (id) => users.get(id));
  return { root, store, users, cleanup: () => rm(root, { recursive: true, force: true }) };
}

export async function collect(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(chunks);
}

/** Every file of a tar: name → content. */
export async function untar(data: Buffer): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  const ex = tar.extract();
  const done = (async () => {
    for await (const e of ex) {
      out.set(e.header.name, await collect(e));
    }
  })();
  ex.end(data);
  await done;
  return out;
}

export async function tarOf(files: Map<string, Buffer> | [string, Buffer][]): Promise<Buffer> {
  const pack = tar.pack();
  for (const [name, data] of files) pack.entry({ name, mtime: new Date(0) }, data);
  pack.finalize();
  return collect(pack);
}

/** Mount a rootfs spec, run a command chrooted in it with busybox, unmount. */
export function runIn(mounts: Mount[], cmd: string[]): string {
  const m = mountAll(mounts);
  try {
    return execFileSync('chroot', [m.target, ...cmd], { encoding: 'utf8' });
  } finally {
    m.unmount();
  }
}

export async function withMounted<T>(mounts: Mount[], fn: (dir: string) => Promise<T> | T): Promise<T> {
  const m = mountAll(mounts);
  try {
    return await fn(m.target);
  } finally {
    m.unmount();
  }
}

export type { Readable };
