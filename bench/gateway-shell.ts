/**
 * Shell I/O through the gateway against the engine's own hijacked exec stream, on the same
 * container: bulk output throughput (MB/s) and keystroke→echo round trip (p50/p99).
 *
 *   npm run build -w gateway && node_modules/.bin/tsx bench/gateway-shell.ts [--mb 50] [--keys 300] [--source cat|tr]
 *
 * --source cat (default) floods from a file written beforehand, as `cat` of a big log does: the
 * engine delivers as fast as it can, so the gateway's path is what is measured. --source tr
 * generates the bytes with busybox `tr`, which itself runs at ~15 MB/s here and hides the gateway.
 *
 * Targets: throughput ≥ 0.8× direct; echo p99 within 5 ms of direct.
 */
import { readFileSync } from 'node:fs';
import type { Duplex } from 'node:stream';
import { parseArgs } from 'node:util';
import { BUSYBOX_IMAGE, percentile, ShellClient, serveGateway, startDockerd } from './gateway-harness.js';

const { values } = parseArgs({
  options: {
    mb: { type: 'string', default: '50' },
    keys: { type: 'string', default: '300' },
    source: { type: 'string', default: 'cat' },
  },
});
const bytes = Number(values.mb) * 1024 * 1024;
const keys = Number(values.keys);
const line = '0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxy';
const command =
  values.source === 'tr'
    ? `head -c ${bytes} /dev/zero | tr '\\0' x; echo; echo '<<END>>'`
    : `cat /tmp/big; echo; echo '<<END>>'`;

const engine = await startDockerd();
const gw = await serveGateway();
try {
  const host = await gw.client.hosts.add.mutate({ name: 'bench', url: engine.hostUrl });
  const { id } = await gw.client.containers.create.mutate({
    hostId: host.id,
    image: BUSYBOX_IMAGE,
    cmd: ['sleep', '3600'],
  });
  if (values.source !== 'tr') {
    const gen = await engine.docker.getContainer(id).exec({
      Cmd: ['sh', '-c', `yes ${line} | head -c ${bytes} > /tmp/big`],
      AttachStdout: true,
      AttachStderr: true,
    });
    const out = (await gen.start({})) as NodeJS.ReadableStream;
    out.resume();
    await new Promise((r) => out.on('end', r));
  }

  // Direct: the engine's hijacked exec stream, as the gateway itself reads it.
  async function direct(): Promise<{ stream: Duplex; received: () => string; reset(): void }> {
    const exec = await engine.docker
      .getContainer(id)
      .exec({ Cmd: ['/bin/sh'], AttachStdin: true, AttachStdout: true, AttachStderr: true, Tty: true });
    const stream = (await exec.start({ hijack: true, stdin: true, Tty: true } as never)) as unknown as Duplex;
    // Same bookkeeping as on the gateway side: a byte count and a short tail.
    let tail = '';
    stream.on('data', (d: Buffer) => {
      tail = (tail + d.subarray(-64).toString('latin1')).slice(-64);
    });
    return { stream, received: () => tail, reset: () => (tail = '') };
  }
  async function viaGateway(): Promise<ShellClient> {
    const { ticket } = await gw.client.shells.open.mutate({ hostId: host.id, containerId: id, cmd: ['/bin/sh'] });
    const c = await ShellClient.connect(gw.url, { ticket });
    await c.waitControl('ready');
    return c;
  }
  const until = async (check: () => boolean, ms = 120_000) => {
    const end = Date.now() + ms;
    while (!check()) {
      if (Date.now() > end) throw new Error('timeout');
      await new Promise((r) => setTimeout(r, 1));
    }
  };

  // Throughput
  const d = await direct();
  await new Promise((r) => setTimeout(r, 300));
  d.reset();
  let t0 = performance.now();
  d.stream.write(`${command}\r`);
  await until(() => d.received().includes('<<END>>\r\n'));
  const directMs = performance.now() - t0;

  const g = await viaGateway();
  await g.waitFor(/# /);
  // Count bytes and keep only a tail: the client must not be the bottleneck.
  let received = 0;
  let frames = 0;
  let tail = '';
  const onMessage = (data: Buffer, isBinary: boolean) => {
    if (!isBinary) return;
    received += data.length;
    frames++;
    tail = (tail + data.subarray(-64).toString('latin1')).slice(-64);
  };
  g.ws.on('message', onMessage);
  // CPU the gateway process spends on the flood: on shared, loaded cores a steadier figure than time.
  const cpuMs = () => {
    const f = readFileSync(`/proc/${gw.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // utime + stime, in clock ticks of 10 ms
  };
  const cpu0 = cpuMs();
  t0 = performance.now();
  g.send(`${command}\r`);
  await until(() => tail.includes('<<END>>\r\n'), 300_000);
  const gatewayMs = performance.now() - t0;
  const gatewayCpuMs = cpuMs() - cpu0;
  g.ws.off('message', onMessage);

  // Echo round trip: one keystroke, then wait for new output that contains it.
  type Tap = { n: number; tail: string };
  function tap(on: (cb: (d: Buffer) => void) => void): Tap {
    const t: Tap = { n: 0, tail: '' };
    on((d) => {
      t.n += d.length;
      t.tail = (t.tail + d.toString('latin1')).slice(-256);
    });
    return t;
  }
  async function rtt(send: (ch: string) => void, t: Tap): Promise<number[]> {
    const samples: number[] = [];
    for (let i = 0; i < keys; i++) {
      const ch = 'abcdefghijklmnopqrstuvwxyz'[i % 26]!;
      const before = t.n;
      const start = performance.now();
      send(ch);
      await until(() => t.n > before && t.tail.slice(-(t.n - before)).includes(ch), 5000);
      samples.push(performance.now() - start);
      if (i % 40 === 39) {
        send('\u0015'); // Ctrl-U: clear the line now and then
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    return samples.sort((a, b) => a - b);
  }
  const directTap = tap((cb) => d.stream.on('data', cb));
  const gatewayTap = tap((cb) =>
    g.ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) cb(data);
    }),
  );
  const directRtt = await rtt((c) => d.stream.write(c), directTap);
  const gatewayRtt = await rtt((c) => g.send(c), gatewayTap);

  const mbps = (ms: number) => (bytes / 1024 / 1024 / (ms / 1000)).toFixed(1);
  console.log(
    `output ${values.mb} MB: direct ${directMs.toFixed(0)} ms (${mbps(directMs)} MB/s), gateway ${gatewayMs.toFixed(0)} ms (${mbps(gatewayMs)} MB/s, recorded), ratio ${(directMs / gatewayMs).toFixed(2)}× of direct; ${received} bytes delivered in ${frames} frames; gateway CPU ${gatewayCpuMs.toFixed(0)} ms`,
  );
  console.log(
    `echo RTT over ${keys} keys: direct p50 ${percentile(directRtt, 50).toFixed(2)} ms p99 ${percentile(directRtt, 99).toFixed(2)} ms; gateway p50 ${percentile(gatewayRtt, 50).toFixed(2)} ms p99 ${percentile(gatewayRtt, 99).toFixed(2)} ms`,
  );
  d.stream.end('exit\r');
  g.send('exit\r');
  await g.waitControl('exit').catch(() => {});
} finally {
  await gw.stop();
  await engine.stop();
}
