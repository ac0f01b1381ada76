import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { LocalContentStore } from '../../../src/content/store.js';
import { Distribution } from '../../../src/distribution/index.js';
import { ImageStore } from '../../../src/images/service.js';
import type { ProgressEvent } from '../../../src/images/types.js';
import { createLogger } from '../../../src/log.js';
import { OverlaySnapshotter } from '../../../src/snapshots/overlay.js';

/**
 * The real storage stack a pull lands in (content store, overlay snapshotter, image store) plus a
 * Distribution over it, in a temp data root. /var/tmp: overlay needs a filesystem that supports it.
 */
export class TestEngine {
  private constructor(
    readonly root: string,
    readonly content: LocalContentStore,
    readonly snapshotter: OverlaySnapshotter,
    readonly images: ImageStore,
    readonly distribution: Distribution,
  ) {}

  static async create(opts: { certsDir?: string } = {}): Promise<TestEngine> {
    const root = await mkdtemp('/var/tmp/berth-dist-');
    const log = createLogger(process.env.BERTH_TEST_LOG ?? 'silent');
    const content = new LocalContentStore(join(root, 'content'));
    await content.init();
    const snapshotter = new OverlaySnapshotter(join(root, 'snapshots'));
    await snapshotter.init();
    const images = new ImageStore({ root: join(root, 'images'), content, snapshotter, log, inUse: () => undefined });
    await images.init?.();
    const distribution = new Distribution({
      content,
      images,
      log,
      stateDir: join(root, 'distribution'),
      ...(opts.certsDir ? { certsDir: opts.certsDir } : {}),
    });
    return new TestEngine(root, content, snapshotter, images, distribution);
  }

  async destroy(): Promise<void> {
    await this.distribution.close();
    await rm(this.root, { recursive: true, force: true });
  }
}

/** A progress sink that keeps every event, for assertions on the stream the CLI would render. */
export function collect(): {
  events: ProgressEvent[];
  fn: (e: ProgressEvent) => void;
  statuses(id?: string): string[];
} {
  const events: ProgressEvent[] = [];
  return {
    events,
    fn: (e) => events.push(e),
    statuses: (id?: string) => events.filter((e) => id === undefined || e.id === id).map((e) => e.status ?? ''),
  };
}
