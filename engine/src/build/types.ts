import type { Writable } from 'node:stream';
import type { ContainerRecord } from '../containers/types.js';
import type { ImageService, ProgressFn } from '../images/types.js';
import type { Logger } from '../log.js';
import type { Snapshotter } from '../snapshots/types.js';
import type { ContainerCreateBody } from '../types/docker.js';

/**
 * What the builder needs from the engine: the image store and snapshotter for layers, and the
 * daemon's own container lifecycle for RUN (so build containers are ordinary containers: same
 * bundle, network, mounts, events). Given by the daemon; declared here so build/ needs no
 * import of daemon/.
 */
export interface BuildHost {
  /** The daemon's data root: the cache index and scratch directories live under `<root>/build`. */
  root: string;
  log: Logger;
  images: ImageService;
  snapshotter: Snapshotter;
  containers: {
    get(ref: string): ContainerRecord;
    create(body: ContainerCreateBody, name: string | undefined): Promise<{ Id: string }>;
    /** Attach to stdout/stderr before start (objectMode sink of `{stream, data}` frames); resolves when the output ends. */
    attachOutput(id: string, output: Writable): Promise<void>;
    start(id: string): Promise<void>;
    wait(id: string, condition: 'next-exit' | 'not-running'): { result: Promise<{ StatusCode: number }> };
    kill(id: string, signal: string): Promise<void>;
    remove(id: string, opts: { force: boolean; volumes: boolean }): Promise<void>;
    pause(id: string): Promise<void>;
    unpause(id: string): Promise<void>;
  };
  /** Pull an image (FROM of a missing image, or --pull). Absent: only local images can be used. */
  pull?(ref: string, registryAuth: string | undefined, progress: ProgressFn, signal: AbortSignal): Promise<void>;
  /** Publish an engine event (`docker events`). */
  publish?(type: string, action: string, id: string, attributes: Record<string, string>): void;
}
