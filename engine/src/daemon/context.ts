import type { ContainerStore } from '../containers/store.js';
import type { ContainerRecord } from '../containers/types.js';
import type { ContentStore } from '../content/types.js';
import type { ImageService } from '../images/types.js';
import type { Logger } from '../log.js';
import type { Runtime } from '../runtime/types.js';
import type { Snapshotter } from '../snapshots/types.js';
import type { EventBus } from './events.js';

/** What every part of the daemon shares: the stores, the runtime and the event bus. */
export interface DaemonContext {
  root: string;
  log: Logger;
  containers: ContainerStore;
  content: ContentStore;
  images: ImageService;
  snapshotter: Snapshotter;
  runtime: Runtime;
  events: EventBus;
}

/** The attributes dockerd puts on container events (name, image, labels). */
export function containerAttributes(c: ContainerRecord, extra: Record<string, string> = {}): Record<string, string> {
  return { ...(c.config.Labels ?? {}), image: c.config.Image, name: c.name, ...extra };
}

export function nowIso(): string {
  return new Date().toISOString();
}
