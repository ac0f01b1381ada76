import type { ContainerRecord } from '../containers/types.js';
import type { CreateTaskOptions } from '../runtime/types.js';
import type { ContainerCreateBody } from '../types/docker.js';
import type { ImageConfig } from '../types/oci.js';

/**
 * Turns a container record into what the runtime needs (bundle with config.json, rootfs mounts,
 * stdio settings), and releases per-run resources (network, mounts) when the task is gone.
 */
export interface TaskPreparer {
  /** Called once at create time (volumes, network settings); `request` is the create body. */
  created?(c: ContainerRecord, request: ContainerCreateBody): Promise<void>;
  /** The create failed after created(): undo what it made. */
  discarded?(c: ContainerRecord): Promise<void>;
  prepare(c: ContainerRecord, image: ImageConfig): Promise<CreateTaskOptions>;
  /** After the task is created, before it starts: what prepare() left running is done. */
  ready?(c: ContainerRecord): Promise<void>;
  /** The task exited or failed to start. */
  released?(c: ContainerRecord): Promise<void>;
  /** The container is being removed (`volumes`: docker rm -v). */
  removed?(c: ContainerRecord, volumes: boolean): Promise<void>;
}
