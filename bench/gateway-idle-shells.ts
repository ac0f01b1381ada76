/**
 * Memory of the gateway process holding many idle shells open (each a Docker exec of sh, a
 * WebSocket, and an open recording).
 *
 *   npm run build -w gateway && node_modules/.bin/jiti bench/gateway-idle-shells.ts [--shells 500]
 *
 * Target: under 200 KiB per idle shell.
 */
import { parseArgs } from 'node:util';
import { BUSYBOX_IMAGE, ShellClient, serveGateway, startDockerd } from './gateway-harness.js';

const { values } = parseArgs({
  options: { shells: { type: 'string', default: '500' }, batch: { type: 'string', default: '20' } },
});
const total = Number(values.shells);
const batch = Number(values.batch);

const engine = await startDockerd();
const gw = await serveGateway();
const clients: ShellClient[] = [];
try {
  const host = await gw.client.hosts.add.mutate({ name: 'bench', url: engine.hostUrl });
  const { id } = await gw.client.containers.create.mutate({
    hostId: host.id,
    image: BUSYBOX_IMAGE,
    cmd: ['sleep', '3600'],
  });
  await new Promise((r) => setTimeout(r, 2000));
  const baseline = gw.rssKiB();
  const started = performance.now();
  for (let i = 0; i < total; i += batch) {
    const opened = await Promise.all(
      Array.from({ length: Math.min(batch, total - i) }, async () => {
        const { ticket } = await gw.client.shells.open.mutate({ hostId: host.id, containerId: id, cmd: ['/bin/sh'] });
        const c = await ShellClient.connect(gw.url, { ticket });
        await c.waitControl('ready', 60_000);
        return c;
      }),
    );
    clients.push(...opened);
  }
  const openMs = performance.now() - started;
  await new Promise((r) => setTimeout(r, 20_000)); // idle: only pings flow
  const rss = gw.rssKiB();
  const alive = clients.filter((c) => c.closed === null).length;
  console.log(
    `${total} idle shells: opened in ${(openMs / 1000).toFixed(1)} s; gateway RSS ${Math.round(baseline / 1024)} MiB → ${Math.round(rss / 1024)} MiB (${((rss - baseline) / total).toFixed(0)} KiB per shell); ${alive}/${total} still open after 20 s idle`,
  );
} finally {
  for (const c of clients) c.ws.terminate();
  await gw.stop();
  await engine.stop();
}
