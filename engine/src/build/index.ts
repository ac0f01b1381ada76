import type { Readable, Writable } from 'node:stream';
import type { ContainerRecord } from '../containers/types.js';
import type { ImageService, ProgressFn } from '../images/types.js';
import type { Logger } from '../log.js';
import type { Snapshotter } from '../snapshots/types.js';
import type { ContainerCreateBody } from '../types/docker.js';
import { Builder } from './builder.js';
import { type CommitRequest, commitContainer } from './commit.js';
import type { BuildHost } from './types.js';

export { Builder } from './builder.js';
export { applyChangeLines, commitContainer } from './commit.js';
export type { BuildHost } from './types.js';

/**
 * The parts of the daemon the builder uses, structurally (so build/ does not import daemon/,
 * which imports build/): its context, container lifecycle, attach manager and image ops.
 */
export interface BuildDaemon {
  ctx: {
    root: string;
    log: Logger;
    images: ImageService;
    snapshotter: Snapshotter;
    containers: { get(ref: string): ContainerRecord };
    events: { publish(type: 'container', action: string, id: string, attributes?: Record<string, string>): void };
  };
  lifecycle: {
    create(body: ContainerCreateBody, name: string | undefined): Promise<{ Id: string }>;
    start(ref: string): Promise<void>;
    wait(ref: string, condition: string): { result: Promise<{ StatusCode: number }> };
    kill(ref: string, signal?: string): Promise<void>;
    remove(ref: string, opts: { force: boolean; volumes: boolean }): Promise<void>;
    pause(ref: string): Promise<void>;
    unpause(ref: string): Promise<void>;
  };
  attach: {
    attach(
      c: ContainerRecord,
      opts: { stream: boolean; logs: boolean; stdin: boolean; stdout: boolean; stderr: boolean },
      io: { input: Readable | null; output: Writable },
    ): Promise<void>;
  };
  imageOps?: {
    imagePull(ref: string, opts: { registryAuth?: string }, progress: ProgressFn, signal: AbortSignal): Promise<void>;
  };
}

export function buildHost(d: BuildDaemon): BuildHost {
  const l = d.lifecycle;
  const host: BuildHost = {
    root: d.ctx.root,
    log: d.ctx.log,
    images: d.ctx.images,
    snapshotter: d.ctx.snapshotter,
    containers: {
      get: (ref) => d.ctx.containers.get(ref),
      create: (body, name) => l.create(body, name),
      attachOutput: (id, output) =>
        d.attach.attach(
          d.ctx.containers.get(id),
          { stream: true, logs: false, stdin: false, stdout: true, stderr: true },
          { input: null, output },
        ),
      start: (id) => l.start(id),
      wait: (id, condition) => l.wait(id, condition),
      kill: (id, signal) => l.kill(id, signal),
      remove: (id, opts) => l.remove(id, opts),
      pause: (id) => l.pause(id),
      unpause: (id) => l.unpause(id),
    },
    publish: (type, action, id, attributes) => d.ctx.events.publish(type as 'container', action, id, attributes),
  };
  const ops = d.imageOps;
  if (ops)
    host.pull = (ref, registryAuth, progress, signal) =>
      ops.imagePull(ref, registryAuth ? { registryAuth } : {}, progress, signal);
  return host;
}

const builders = new WeakMap<object, { builder: Builder; host: BuildHost }>();

/**
 * The daemon's build and commit backend: `...buildBackend(this)` in Daemon.backend(). One
 * Builder per daemon, so concurrent builds share the step cache.
 */
export function buildBackend(d: BuildDaemon): {
  build(
    context: Readable,
    query: URLSearchParams,
    registryConfig: string | undefined,
    progress: ProgressFn,
    signal: AbortSignal,
  ): Promise<void>;
  containerCommit(ref: string, opts: CommitRequest): Promise<{ Id: string }>;
} {
  let entry = builders.get(d);
  if (!entry) {
    const host = buildHost(d);
    entry = { builder: new Builder(host), host };
    builders.set(d, entry);
  }
  const { builder, host } = entry;
  return {
    build: (context, query, registryConfig, progress, signal) =>
      builder.build(context, query, registryConfig, progress, signal),
    containerCommit: (ref, opts) => commitContainer(host, ref, opts),
  };
}
