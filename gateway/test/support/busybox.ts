// A busybox-static root filesystem as a tar stream: the test image (there is no Docker Hub).
import { execFile as execFileCb, spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';

const execFile = promisify(execFileCb);
const APPLETS = [
  'sh',
  'echo',
  'cat',
  'sleep',
  'ls',
  'id',
  'env',
  'printf',
  'head',
  'yes',
  'dd',
  'seq',
  'stty',
  'true',
  'false',
  'tty',
  'kill',
  'read',
];
export const BUSYBOX_IMAGE = 'berth-test/busybox:latest';

/** Builds the rootfs once and returns a function producing a fresh tar stream of it each time. */
export async function busyboxRootfs(): Promise<{ tar(): Readable; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-busybox-'));
  const root = join(dir, 'rootfs');
  await mkdir(join(root, 'bin'), { recursive: true });
  await mkdir(join(root, 'tmp'), { recursive: true, mode: 0o1777 });
  await mkdir(join(root, 'etc'), { recursive: true });
  await copyFile('/bin/busybox', join(root, 'bin/busybox'));
  await execFile('chmod', ['755', join(root, 'bin/busybox')]);
  for (const applet of APPLETS) await symlink('busybox', join(root, 'bin', applet));
  return {
    tar: () => spawn('tar', ['-C', root, '-cf', '-', '.'], { stdio: ['ignore', 'pipe', 'inherit'] }).stdout,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
