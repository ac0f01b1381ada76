import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { TestDaemon } from '../support/berthd.js';
import { busyboxTar } from '../support/images.js';

/** A berthd with the busybox image imported as `bb`. */
export async function daemonWithBusybox(): Promise<TestDaemon> {
  const d = new TestDaemon();
  await d.start();
  d.ok(['import', busyboxTar(), 'bb']);
  return d;
}

/** Poll `probe` until it returns something truthy, or fail with the last value after `ms`. */
export async function until<T>(what: string, probe: () => T | Promise<T>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await probe();
    if (last) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * What a harness that deletes a killed engine's data root does (TestDaemon.cleanup cannot after
 * a SIGKILL): stop its conmon processes, unmount and delete the root. Networking stays behind.
 */
export function abandon(d: TestDaemon): void {
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    const cmdline = (() => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      } catch {
        return '';
      }
    })();
    if (cmdline.startsWith('/usr/bin/conmon') && cmdline.includes(d.root)) process.kill(Number(pid), 'SIGKILL');
  }
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((m) => m.startsWith(d.root))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) spawnSync('umount', ['-l', m]);
  rmSync(d.root, { recursive: true, force: true });
}
