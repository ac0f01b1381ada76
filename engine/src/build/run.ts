import { Writable } from 'node:stream';
import type { HostConfig } from '../types/docker.js';
import type { ImageConfigSection } from '../types/oci.js';
import { type BuildOutput, shortId } from './output.js';
import type { BuildHost } from './types.js';

export interface RunStepOptions {
  imageId: string;
  argv: string[];
  /** The stage's config; RUN adds the build args to its environment. */
  config: ImageConfigSection;
  extraEnv: string[];
  hostConfig: HostConfig;
  signal: AbortSignal;
}

/**
 * RUN: an ordinary container created and started through the daemon's lifecycle from the
 * current image, with the stage's env, user and working directory, no entrypoint and no
 * healthcheck; its output is attached before start and streamed into the build output.
 * Returns the container id and exit code; the caller commits and removes it.
 */
export async function runStepContainer(
  host: BuildHost,
  out: BuildOutput,
  opts: RunStepOptions,
  onCreated: (id: string) => void,
): Promise<{ id: string; exitCode: number }> {
  const cfg = opts.config;
  const { Id: id } = await host.containers.create(
    {
      Image: opts.imageId,
      Cmd: opts.argv,
      // an empty entrypoint, not the image's: RUN runs exactly its command
      Entrypoint: [''],
      Env: [...(cfg.Env ?? []), ...opts.extraEnv],
      User: cfg.User ?? '',
      WorkingDir: cfg.WorkingDir ?? '',
      Labels: cfg.Labels ?? {},
      Volumes: cfg.Volumes ?? {},
      Healthcheck: { Test: ['NONE'] },
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
      OpenStdin: false,
      ...(cfg.Shell ? { Shell: cfg.Shell } : {}),
      HostConfig: { ...opts.hostConfig },
    },
    undefined,
  );
  onCreated(id);
  out.stdout(` ---> Running in ${shortId(id)}\n`);
  const sink = new Writable({
    objectMode: true,
    write(frame: { stream: 'stdout' | 'stderr'; data: Buffer }, _enc, cb) {
      const text = frame.data.toString('utf8');
      if (frame.stream === 'stderr') out.stderr(text);
      else out.stdout(text);
      cb();
    },
  });
  const attached = host.containers.attachOutput(id, sink);
  const exited = host.containers.wait(id, 'next-exit').result;
  const abort = () => void host.containers.kill(id, 'SIGKILL').catch(() => undefined);
  opts.signal.addEventListener('abort', abort, { once: true });
  try {
    await host.containers.start(id);
    const { StatusCode } = await exited;
    await attached;
    return { id, exitCode: StatusCode };
  } finally {
    opts.signal.removeEventListener('abort', abort);
    if (!sink.writableEnded) sink.end();
  }
}
