/**
 * `docker run --rm IMG true` and `docker exec C true`, berthd vs dockerd, alternating so both see
 * the same machine load; plus berthd's idle RSS and the per-container host overhead (berthd:
 * conmon; dockerd: containerd-shim). Run as root: `npx tsx bench/engine-run.ts [rounds]`.
 */
import { type Engine, loadBusybox, median, pidsOf, rssMb, startBoth, timeMs } from './lib/engines.js';

const rounds = Number(process.argv[2] ?? 20);
const [berth, docker] = await startBoth();
const engines: Engine[] = [berth, docker];
try {
  for (const e of engines) loadBusybox(e);
  const run: Record<string, number[]> = { berthd: [], dockerd: [] };
  const exec: Record<string, number[]> = { berthd: [], dockerd: [] };
  for (const e of engines) e.docker(['run', '-d', '--name', 'execbench', 'benchbox', 'sleep', '100000']);
  for (const e of engines) e.docker(['run', '--rm', 'benchbox', 'true']); // warm-up
  for (let i = 0; i < rounds; i++) {
    for (const e of engines) {
      run[e.name]!.push(timeMs(() => e.docker(['run', '--rm', 'benchbox', 'true'])));
      exec[e.name]!.push(timeMs(() => e.docker(['exec', 'execbench', 'true'])));
    }
  }
  const row = (what: string, r: Record<string, number[]>) => {
    const b = median(r.berthd!);
    const d = median(r.dockerd!);
    console.log(
      `${what.padEnd(22)} berthd ${b.toFixed(1)} ms   dockerd ${d.toFixed(1)} ms   ratio ${(b / d).toFixed(2)}x`,
    );
  };
  row('docker run --rm true', run);
  row('docker exec C true', exec);

  // Per-container overhead: start 10 sleepers and measure the monitor processes' RSS.
  for (const e of engines) for (let i = 0; i < 10; i++) e.docker(['run', '-d', 'benchbox', 'sleep', '100000']);
  const conmon = pidsOf(`conmon.*${berth.host.replace('unix://', '').replace(/\/s\.sock$/, '')}`);
  const shims = pidsOf('containerd-shim');
  const per = (pids: number[]) => pids.reduce((a, p) => a + rssMb(p), 0) / Math.max(1, pids.length);
  console.log(
    `per-container monitor  berthd (conmon) ${per(conmon).toFixed(1)} MB x${conmon.length}   dockerd (shim) ${per(shims).toFixed(1)} MB x${shims.length}`,
  );
  console.log(
    `engine RSS             berthd ${rssMb(berth.pid()).toFixed(1)} MB   dockerd ${rssMb(docker.pid()).toFixed(1)} MB`,
  );
} finally {
  for (const e of engines) await e.stop();
}
