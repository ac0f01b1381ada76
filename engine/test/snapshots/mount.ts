import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Mount } from '../../src/snapshots/types.js';

/**
 * Test-only mounter: the snapshotter returns specs and never mounts, the runtime does that in
 * production. Here `mount(8)` applies a spec so tests can look at the stacked filesystem.
 */
export function mountAll(mounts: Mount[]): { target: string; unmount: () => void } {
  const target = mkdtempSync(join(tmpdir(), 'berth-mnt-'));
  const m = mounts[0];
  if (!m || mounts.length !== 1) throw new Error(`expected one mount, got ${mounts.length}`);
  if (m.type === 'bind') {
    execFileSync('mount', ['--bind', m.source, target]);
    if (m.options.includes('ro')) execFileSync('mount', ['-o', 'remount,bind,ro', target]);
  } else {
    execFileSync('mount', ['-t', m.type, m.source, '-o', m.options.join(','), target]);
  }
  return {
    target,
    unmount: () => {
      execFileSync('umount', [target]);
      rmSync(target, { recursive: true, force: true });
    },
  };
}
