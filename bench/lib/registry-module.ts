import { createReadStream } from 'node:fs';
import { TestEngine } from '../../engine/test/distribution/harness/engine.js';
import { TestRegistry } from '../../engine/test/distribution/harness/registry.js';

/**
 * The engine's distribution module measured directly: content store, overlay snapshotter, image
 * store and Distribution in this process, no API server or CLI in between. Push from an engine
 * that imported the rootfs (import not timed) to a fresh registry; pull into a fresh engine.
 */
export async function moduleRun(rootfs: string): Promise<{ push: number; pull: number }> {
  const registry = await TestRegistry.create();
  const source = await TestEngine.create();
  const target = await TestEngine.create();
  try {
    const ref = `${registry.host}/bench/minbase:bookworm`;
    await source.images.importRootfs(createReadStream(rootfs), { reference: ref });
    const t0 = process.hrtime.bigint();
    await source.distribution.push(ref, {}, () => {});
    const push = Number(process.hrtime.bigint() - t0) / 1e9;
    const t1 = process.hrtime.bigint();
    await target.distribution.pull(ref, {}, () => {});
    const pull = Number(process.hrtime.bigint() - t1) / 1e9;
    return { push, pull };
  } finally {
    await Promise.all([source.destroy(), target.destroy()]);
    await registry.destroy();
  }
}
