/**
 * `docker run --rm IMG true` and `docker exec C true`, berthd vs dockerd, alternating so both see
 * the same machine load; plus berthd's idle RSS and the per-container host overhead (berthd:
 * conmon; dockerd: containerd-shim). Run as root: `npx tsx bench/engine-run.ts [rounds]`.
 */
import { request } from 'node:http';
import { connect } from 'node:net';
import { loadavg } from 'node:os';
import { type Engine, loadBusybox, median, pidsOf, rssMb, startBoth, timeMs } from './lib/engines.js';

/**
 * Where `docker exec C true` spends its time at the engine: the CLI's calls made raw (API 1.41,
 * which Debian's dockerd speaks too) and timed one by one. What is left of the CLI's figure is the
 * CLI itself (process start, config, connection set-up).
 */
async function execPhases(e: Engine): Promise<Record<string, number>> {
  const socketPath = e.host.replace('unix://', '');
  const api = (method: string, path: string, body?: unknown) =>
    new Promise<string>((resolve, reject) => {
      const req = request({ socketPath, path, method, headers: { 'Content-Type': 'application/json' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks).toString()));
      });
      req.on('error', reject);
      req.end(body === undefined ? undefined : JSON.stringify(body));
    });
  // The hijacked start as the CLI sends it; resolves when the engine ends the stream.
  const start = (id: string) =>
    new Promise<void>((resolve, reject) => {
      const body = '{"Detach":false,"Tty":false}';
      const sock = connect(socketPath);
      sock.on('data', () => {});
      sock.once('error', reject);
      sock.once('end', () => {
        sock.end();
        resolve();
      });
      sock.write(
        `POST /v1.41/exec/${id}/start HTTP/1.1\r\nHost: api\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n${body}`,
      );
    });
  const t = () => performance.now();
  const t0 = t();
  await api('HEAD', '/_ping');
  await api('GET', '/v1.41/containers/execbench/json');
  const t1 = t();
  const { Id } = JSON.parse(
    await api('POST', '/v1.41/containers/execbench/exec', { Cmd: ['true'], AttachStdout: true, AttachStderr: true }),
  ) as { Id: string };
  const t2 = t();
  await start(Id);
  const t3 = t();
  await api('GET', `/v1.41/exec/${Id}/json`);
  const t4 = t();
  return { 'ping + inspect': t1 - t0, 'exec create': t2 - t1, 'start → end': t3 - t2, 'exec inspect': t4 - t3 };
}

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
  const phases: Record<string, Record<string, number[]>> = { berthd: {}, dockerd: {} };
  for (let i = 0; i < rounds; i++) {
    for (const e of engines) {
      for (const [what, ms] of Object.entries(await execPhases(e))) {
        const byWhat = phases[e.name]!;
        byWhat[what] = [...(byWhat[what] ?? []), ms];
      }
    }
  }
  for (const what of Object.keys(phases.berthd!))
    row(`  exec: ${what}`, { berthd: phases.berthd![what]!, dockerd: phases.dockerd![what]! });
  console.log(
    `load average: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );

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
