import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

const SCRIPT = resolve(import.meta.dirname, '../../../scripts/busybox-rootfs.sh');
const CACHE = '/tmp/berth-test-busybox.tar';

/** A busybox-static rootfs tar, built once per machine (no Docker Hub here). */
export function busyboxTar(): string {
  if (!existsSync(CACHE)) execFileSync(SCRIPT, [`${CACHE}.tmp`]) && execFileSync('mv', [`${CACHE}.tmp`, CACHE]);
  return CACHE;
}
