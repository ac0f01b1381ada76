/**
 * 200 concurrent mutating calls (volumes.create on a private dockerd) through the gateway:
 * every call leaves exactly one audit event, and the hash chain verifies.
 * With DATABASE_URL=postgresql://… the same against PostgreSQL.
 *
 *   npm run build -w gateway && node_modules/.bin/jiti bench/gateway-audit.ts [--calls 200]
 */
import { parseArgs } from 'node:util';
import { serveGateway, startDockerd } from './gateway-harness.js';

const { values } = parseArgs({ options: { calls: { type: 'string', default: '200' } } });
const calls = Number(values.calls);

const engine = await startDockerd();
const gw = await serveGateway();
try {
  const host = await gw.client.hosts.add.mutate({ name: 'bench', url: engine.hostUrl });
  const before = (await gw.client.audit.verify.query()).count;
  const t0 = performance.now();
  const results = await Promise.allSettled(
    Array.from({ length: calls }, (_, i) => gw.client.volumes.create.mutate({ hostId: host.id, name: `bench-${i}` })),
  );
  const ms = performance.now() - t0;
  const verify = await gw.client.audit.verify.query();
  const events = verify.count - before;
  const failed = results.filter((r) => r.status === 'rejected').length;
  console.log(
    `${calls} concurrent volumes.create in ${ms.toFixed(0)} ms (${((calls / ms) * 1000).toFixed(0)}/s, ${failed} failed): ${events} audit events (${calls - events} lost), chain ${verify.ok ? 'verifies' : `BROKEN at ${verify.firstBrokenId}`}`,
  );
} finally {
  await gw.stop();
  await engine.stop();
}
