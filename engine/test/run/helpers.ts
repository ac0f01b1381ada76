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
