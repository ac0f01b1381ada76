/**
 * `containers.list` across 50 hosts (50 registrations of one private dockerd with 20
 * containers), against one host, and with one of the 50 dead: the fan-out is parallel, so the
 * total stays near one host's latency, and a dead host costs nothing extra.
 *
 *   npm run build -w gateway && node_modules/.bin/jiti bench/gateway-fanout.ts [--hosts 50] [--runs 30]
 */
import { parseArgs } from 'node:util';
import { BUSYBOX_IMAGE, percentile, serveGateway, startDockerd } from './gateway-harness.js';

const { values } = parseArgs({
  options: { hosts: { type: 'string', default: '50' }, runs: { type: 'string', default: '30' } },
});
const hosts = Number(values.hosts);
const runs = Number(values.runs);

const engine = await startDockerd();
const gw = await serveGateway();
try {
  const ids: string[] = [];
  for (let i = 0; i < hosts; i++)
    ids.push((await gw.client.hosts.add.mutate({ name: `h${i}`, url: engine.hostUrl })).id);
  for (let i = 0; i < 20; i++)
    await gw.client.containers.create.mutate({ hostId: ids[0]!, image: BUSYBOX_IMAGE, cmd: ['true'], start: false });
  let answered = 0;
  let asked = 0;
  async function measure(input: { hostId?: string }): Promise<number[]> {
    const samples: number[] = [];
    answered = 0;
    asked = 0;
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      const r = await gw.client.containers.list.query(input);
      samples.push(performance.now() - t0);
      asked += r.hosts.length;
      answered += r.hosts.filter((h) => h.ok).length;
    }
    return samples.sort((a, b) => a - b);
  }
  const fmt = (s: number[]) =>
    `p50 ${percentile(s, 50).toFixed(1)} ms, p99 ${percentile(s, 99).toFixed(1)} ms, ${answered}/${asked} host answers ok`;
  const one = fmt(await measure({ hostId: ids[0]! }));
  const all = fmt(await measure({}));
  await gw.client.hosts.add.mutate({ name: 'dead', url: 'unix:///nonexistent/dead.sock' });
  const withDead = fmt(await measure({}));
  // Every registration is the same dockerd, so the engine, not the gateway, serializes the lists.
  console.log(
    `containers.list, 20 containers per host: 1 host ${one}; ${hosts} hosts ${all}; ${hosts} hosts + 1 dead ${withDead}`,
  );
} finally {
  await gw.stop();
  await engine.stop();
}
