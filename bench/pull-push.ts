/**
 * Pull and push of a debootstrap `--variant=minbase` bookworm image (~204 MB uncompressed)
 * to and from a loopback registry (Debian's docker-registry), berthd against dockerd, both driven
 * by the stock docker CLI. Each run uses a fresh registry (so a push uploads every layer rather
 * than finding or mounting it) and a fresh daemon for the pull (so nothing is cached).
 *
 *   npm run build -w engine && node_modules/.bin/jiti bench/pull-push.ts [--runs 3] [--only dockerd|berthd|module]
 *
 * `module` measures the engine's distribution module directly (content store + image store +
 * Distribution in this process, no API server): the figure to quote while berthd cannot serve
 * pull/push yet, labelled as such.
 */
import { parseArgs } from 'node:util';
import { minbaseRootfsTar } from '../engine/test/distribution/harness/debootstrap.js';
import { TestRegistry } from '../engine/test/distribution/harness/registry.js';
import { type BenchDaemon, docker, startBerthd, startDockerd } from './lib/registry-daemons.js';
import { moduleRun } from './lib/registry-module.js';

interface Timing {
  push: number;
  pull: number;
}

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '3' }, only: { type: 'string', multiple: true } },
});
const runs = Number(values.runs);
const only = new Set(values.only ?? ['dockerd', 'berthd', 'module']);

function seconds(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

/** One push + pull through the docker CLI against a daemon kind. */
async function cliRun(start: () => Promise<BenchDaemon>, rootfs: string): Promise<Timing> {
  const registry = await TestRegistry.create();
  const image = `${registry.host}/bench/minbase:bookworm`;
  let daemon = await start();
  try {
    await docker(daemon.host, ['import', '-', image], rootfs);
    const t0 = process.hrtime.bigint();
    await docker(daemon.host, ['push', '-q', image]);
    const push = seconds(t0);
    await daemon.stop();
    daemon = await start();
    const t1 = process.hrtime.bigint();
    await docker(daemon.host, ['pull', '-q', image]);
    const pull = seconds(t1);
    // The pulled image must be usable, not just present.
    await docker(daemon.host, ['image', 'inspect', image]);
    return { push, pull };
  } finally {
    await daemon.stop();
    await registry.destroy();
  }
}

async function main(): Promise<void> {
  const rootfs = await minbaseRootfsTar();
  const results = new Map<string, Timing[]>();
  const kinds: [string, () => Promise<Timing>][] = [
    ['dockerd', () => cliRun(startDockerd, rootfs)],
    ['berthd', () => cliRun(startBerthd, rootfs)],
    ['module', () => moduleRun(rootfs)],
  ];
  for (const [name, run] of kinds) {
    if (!only.has(name)) continue;
    const list: Timing[] = [];
    for (let i = 0; i < runs; i++) {
      try {
        const t = await run();
        list.push(t);
        console.error(`${name} run ${i + 1}: push ${t.push.toFixed(2)} s, pull ${t.pull.toFixed(2)} s`);
      } catch (err) {
        console.error(`${name} run ${i + 1} failed: ${(err as Error).message.split('\n')[0]}`);
        break;
      }
    }
    if (list.length > 0) results.set(name, list);
  }
  const base = results.get('dockerd');
  const basePush = base ? median(base.map((t) => t.push)) : undefined;
  const basePull = base ? median(base.map((t) => t.pull)) : undefined;
  console.log(`\npull/push of debootstrap minbase bookworm via a loopback registry, median of ${runs}`);
  console.log('what                         push s   pull s   push ratio   pull ratio');
  for (const [name, list] of results) {
    const push = median(list.map((t) => t.push));
    const pull = median(list.map((t) => t.pull));
    const label = name === 'module' ? 'berth module (no API server)' : name;
    const ratio = (v: number, b?: number) => (b ? `${(v / b).toFixed(2)}x` : '-').padStart(10);
    console.log(
      `${label.padEnd(28)} ${push.toFixed(2).padStart(6)}   ${pull.toFixed(2).padStart(6)}   ${ratio(push, basePush)}   ${ratio(pull, basePull)}`,
    );
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
