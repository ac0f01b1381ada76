/**
 * `docker build` with the classic builder (DOCKER_BUILDKIT=0), berthd against dockerd, both
 * driven by the stock docker CLI: a 10-step Dockerfile on a debootstrap `--variant=minbase`
 * bookworm base (cached under /var/cache/berth-test), a cold build (`--no-cache`, so every
 * step runs) and a fully cached rebuild, each repeated and reported as medians and ratios.
 *
 *   npm run build -w engine && node_modules/.bin/jiti bench/build-classic.ts [--runs 5] [--only dockerd|berthd]
 *
 * Targets: cold ≤ 1.0×, cached ≤ 0.5× dockerd's time.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { minbaseRootfsTar } from '../engine/test/distribution/harness/debootstrap.js';
import { type BenchDaemon, docker, startBerthd, startDockerd } from './lib/registry-daemons.js';

process.env.DOCKER_BUILDKIT = '0';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '5' }, only: { type: 'string', multiple: true } },
});
const runs = Number(values.runs);
const only = new Set(values.only ?? ['dockerd', 'berthd']);

const DOCKERFILE = `FROM minbase
ENV APP_HOME=/srv/app LANG=C.UTF-8
WORKDIR /srv/app
COPY requirements.txt ./
RUN mkdir -p data && cp requirements.txt data/ && seq 1 50000 > data/numbers && useradd -r appuser
COPY src/ ./src/
RUN find src -type f | sort > manifest.txt && cat src/*/*.txt | wc -c > size.txt && chown -R appuser data
LABEL org.example.bench=build-classic
USER appuser
CMD ["cat", "/srv/app/manifest.txt"]
`;

/** A context of a Dockerfile, a requirements file and 200 small source files in 10 directories. */
function makeContext(): string {
  const dir = mkdtempSync('/tmp/berth-bench-build-');
  writeFileSync(join(dir, 'Dockerfile'), DOCKERFILE);
  writeFileSync(
    join(dir, 'requirements.txt'),
    Array.from({ length: 40 }, (_, i) => `package-${i}==1.${i}.0`).join('\n'),
  );
  for (let d = 0; d < 10; d++) {
    mkdirSync(join(dir, 'src', `mod${d}`), { recursive: true });
    for (let f = 0; f < 20; f++)
      writeFileSync(join(dir, 'src', `mod${d}`, `file${f}.txt`), `module ${d} file ${f}\n`.repeat(20));
  }
  return dir;
}

function seconds(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

async function timed(host: string, args: string[]): Promise<{ time: number; out: string }> {
  const t0 = process.hrtime.bigint();
  const out = await docker(host, args);
  return { time: seconds(t0), out };
}

async function measure(
  start: () => Promise<BenchDaemon>,
  rootfs: string,
  context: string,
): Promise<{ cold: number[]; cached: number[] }> {
  const daemon = await start();
  const cold: number[] = [];
  const cached: number[] = [];
  try {
    await docker(daemon.host, ['import', '-', 'minbase'], rootfs);
    // one build to warm page caches and the base image's first use, not counted
    await docker(daemon.host, ['build', '-q', '-t', 'bench', context]);
    for (let i = 0; i < runs; i++) {
      const c = await timed(daemon.host, ['build', '--no-cache', '-t', 'bench', context]);
      if (c.out.includes('Using cache')) throw new Error(`${daemon.name}: the cold build used the cache`);
      cold.push(c.time);
      const h = await timed(daemon.host, ['build', '-t', 'bench', context]);
      if ((h.out.match(/Using cache/g) ?? []).length !== 9)
        throw new Error(`${daemon.name}: the rebuild was not fully cached:\n${h.out}`);
      cached.push(h.time);
      process.stderr.write(`${daemon.name} run ${i + 1}: cold ${c.time.toFixed(2)} s, cached ${h.time.toFixed(2)} s\n`);
    }
    const check = await docker(daemon.host, ['run', '--rm', 'bench', 'sh', '-c', 'wc -l < manifest.txt; id -un']);
    if (check.trim() !== '200\nappuser') throw new Error(`${daemon.name}: unexpected result image: ${check}`);
  } finally {
    await daemon.stop();
  }
  return { cold, cached };
}

const rootfs = await minbaseRootfsTar();
const context = makeContext();
const results: Record<string, { cold: number[]; cached: number[] }> = {};
try {
  if (only.has('dockerd')) results.dockerd = await measure(startDockerd, rootfs, context);
  if (only.has('berthd')) results.berthd = await measure(startBerthd, rootfs, context);
} finally {
  rmSync(context, { recursive: true, force: true });
}

console.log(
  `docker build (classic builder), 10-step Dockerfile on debootstrap minbase bookworm, ${runs} runs, medians:`,
);
for (const [name, r] of Object.entries(results)) {
  console.log(`  ${name.padEnd(8)} cold ${median(r.cold).toFixed(2)} s   cached ${median(r.cached).toFixed(2)} s`);
}
const b = results.berthd;
const d = results.dockerd;
if (b && d) {
  const coldRatio = median(b.cold) / median(d.cold);
  const cachedRatio = median(b.cached) / median(d.cached);
  console.log(
    `  ratio berthd/dockerd: cold ${coldRatio.toFixed(2)}× (target ≤ 1.0×), cached ${cachedRatio.toFixed(2)}× (target ≤ 0.5×)`,
  );
}
