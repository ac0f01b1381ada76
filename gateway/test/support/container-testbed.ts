// One engine host behind a test gateway with a long-running busybox container on it: what the
// shell tests all start from. Registers the describe block's hooks; berthd failing to come up
// skips the block's tests with the reason (see engineFixture).
import { afterAll, beforeAll, beforeEach } from 'vitest';
import type { GatewayOptions } from '../../src/server.js';
import { BUSYBOX_IMAGE } from './busybox.js';
import { type EngineKind, engineFixture } from './engines.js';
import { startTestGateway, type TestGateway } from './gateway.js';

export interface ContainerTestbed {
  t: TestGateway;
  hostId: string;
  /** The engine's address, to register it with another gateway. */
  hostUrl: string;
  /** Created by the admin, running `sleep 3600`. */
  containerId: string;
}

export function containerTestbed(
  kind: EngineKind,
  opts: { name: string; gateway?: Partial<GatewayOptions> },
): ContainerTestbed {
  const fixture = engineFixture(kind);
  const bed = {} as ContainerTestbed;
  beforeAll(async () => {
    const engine = await fixture.start();
    if (!engine) return;
    bed.t = await startTestGateway(opts.gateway);
    bed.hostUrl = engine.hostUrl;
    bed.hostId = await bed.t.addHost(kind, engine.hostUrl);
    const created = await bed.t.admin.client.containers.create.mutate({
      hostId: bed.hostId,
      image: BUSYBOX_IMAGE,
      cmd: ['sleep', '3600'],
      name: opts.name,
    });
    bed.containerId = created.id;
  });
  afterAll(async () => {
    await bed.t?.close();
    await fixture.stop();
  });
  beforeEach((ctx) => {
    if (fixture.state.skipReason) ctx.skip(fixture.state.skipReason);
  });
  return bed;
}
