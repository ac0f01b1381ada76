import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { EngineError } from '../../errors.js';
import type { ContainerCreateBody, HostConfig } from '../../types/docker.js';
import type { Route } from '../router.js';
import { frameWriter, stdcopyFrame } from '../streams.js';

const noContent = (ctx: { send(status: number): void }) => ctx.send(204);

function tailParam(v: string | undefined): number | undefined {
  if (v === undefined || v === '' || v === 'all') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new EngineError('BAD_PARAMETER', `invalid tail value: ${v}`);
  return n;
}

function timeParam(v: string | undefined): number | undefined {
  if (v === undefined || v === '' || v === '0') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new EngineError('BAD_PARAMETER', `invalid time value: ${v}`);
  return n;
}

export const containerRoutes: Route[] = [
  {
    method: 'POST',
    path: '/containers/create',
    handler: async (ctx, backend) => {
      const body = await ctx.json<ContainerCreateBody>();
      if (!body || typeof body !== 'object' || Array.isArray(body))
        throw new EngineError('BAD_PARAMETER', 'invalid container config');
      ctx.send(201, await backend.containerCreate(body, ctx.str('name') || undefined));
    },
  },
  {
    method: 'GET',
    path: '/containers/json',
    handler: async (ctx, backend) =>
      ctx.send(
        200,
        await backend.containerList({
          all: ctx.bool('all'),
          limit: ctx.int('limit'),
          size: ctx.bool('size'),
          filters: ctx.filters(),
        }),
      ),
  },
  {
    method: 'POST',
    path: '/containers/prune',
    handler: async (ctx, backend) => ctx.send(200, await backend.containerPrune(ctx.filters())),
  },
  {
    method: 'GET',
    path: '/containers/{id}/json',
    handler: async (ctx, backend) => ctx.send(200, await backend.containerInspect(ctx.param('id'), ctx.bool('size'))),
  },
  {
    method: 'GET',
    path: '/containers/{id}/top',
    handler: async (ctx, backend) =>
      ctx.send(200, await backend.containerTop(ctx.param('id'), ctx.str('ps_args') ?? '-ef')),
  },
  {
    method: 'GET',
    path: '/containers/{id}/changes',
    handler: async (ctx, backend) => ctx.send(200, await backend.containerChanges(ctx.param('id'))),
  },
  {
    method: 'GET',
    path: '/containers/{id}/logs',
    handler: async (ctx, backend) => {
      const id = ctx.param('id');
      const opts = {
        follow: ctx.bool('follow'),
        stdout: ctx.bool('stdout'),
        stderr: ctx.bool('stderr'),
        since: timeParam(ctx.str('since')),
        until: timeParam(ctx.str('until')),
        timestamps: ctx.bool('timestamps'),
        tail: tailParam(ctx.str('tail')),
      };
      if (!opts.stdout && !opts.stderr) throw new EngineError('BAD_PARAMETER', 'you must choose at least one stream');
      const tty = backend.containerIsTty(id);
      const abort = new AbortController();
      const logs = backend.containerLogs(id, opts, abort.signal);
      const res = ctx.stream(
        200,
        tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream',
      );
      res.on('close', () => abort.abort());
      for await (const frame of logs) {
        const ok = res.write(tty ? frame.data : stdcopyFrame(frame.stream, frame.data));
        if (!ok) await new Promise((r) => res.once('drain', r));
      }
      res.end();
    },
  },
  {
    method: 'GET',
    path: '/containers/{id}/export',
    handler: async (ctx, backend) => {
      const tar = await backend.containerExport(ctx.param('id'));
      await pipeline(tar, ctx.stream(200, 'application/x-tar'));
    },
  },
  {
    method: 'GET',
    path: '/containers/{id}/stats',
    handler: async (ctx, backend) => {
      const stream = ctx.bool('stream', true);
      const abort = new AbortController();
      const stats = backend.containerStats(ctx.param('id'), { stream, oneShot: ctx.bool('one-shot') }, abort.signal);
      const res = ctx.stream(200, 'application/json');
      res.on('close', () => abort.abort());
      for await (const s of stats) res.write(`${JSON.stringify(s)}\n`);
      res.end();
    },
  },
  {
    method: 'POST',
    path: '/containers/{id}/resize',
    handler: async (ctx, backend) => {
      await backend.containerResize(ctx.param('id'), { height: ctx.int('h') ?? 0, width: ctx.int('w') ?? 0 });
      ctx.send(200);
    },
  },
  {
    method: 'POST',
    path: '/containers/{id}/start',
    handler: async (ctx, backend) => {
      const id = ctx.param('id');
      const before = await backend.containerInspect(id, false);
      if ((before.State as { Running: boolean }).Running) return ctx.send(304);
      await backend.containerStart(id);
      noContent(ctx);
    },
  },
  {
    method: 'POST',
    path: '/containers/{id}/stop',
    handler: async (ctx, backend) => {
      const stopped = await backend.containerStop(ctx.param('id'), {
        timeout: ctx.int('t'),
        signal: ctx.str('signal'),
      });
      ctx.send(stopped ? 204 : 304);
    },
  },
  {
    method: 'POST',
    path: '/containers/{id}/restart',
    handler: async (ctx, backend) => {
      await backend.containerRestart(ctx.param('id'), { timeout: ctx.int('t'), signal: ctx.str('signal') });
      noContent(ctx);
    },
  },
  {
    method: 'POST',
    path: '/containers/{id}/kill',
    handler: async (ctx, backend) => {
      await backend.containerKill(ctx.param('id'), ctx.str('signal') || undefined);
      noContent(ctx);
    },
  },
  {
    method: 'POST',
    path: '/containers/{id}/pause',
    handler: async (ctx, backend) => {
      await backend.containerPause(ctx.param('id'));
      noContent(ctx);
    },
  },
  {
    method: 'POST',
    path: '/containers/{id}/unpause',
    handler: async (ctx, backend) => {
      await backend.containerUnpause(ctx.param('id'));
      noContent(ctx);
    },
  },
  {
    method: 'POST',
    path: '/containers/{id}/update',
    handler: async (ctx, backend) =>
      ctx.send(200, await backend.containerUpdate(ctx.param('id'), await ctx.json<HostConfig>())),
  },
  {
    method: 'POST',
    path: '/containers/{id}/rename',
    handler: async (ctx, backend) => {
      const name = ctx.str('name');
      if (!name) throw new EngineError('BAD_PARAMETER', 'name is required');
      await backend.containerRename(ctx.param('id'), name.replace(/^\//, ''));
      noContent(ctx);
    },
  },
  {
    method: 'POST',
    path: '/containers/{id}/wait',
    handler: async (ctx, backend) => {
      const { result } = backend.containerWait(ctx.param('id'), ctx.str('condition') || 'not-running');
      // Headers go out at once: `docker run` starts the container only after the wait is registered.
      const res = ctx.stream(200, 'application/json');
      const outcome = await result.catch((err: Error) => ({ StatusCode: -1, Error: { Message: err.message } }));
      res.end(JSON.stringify(outcome));
    },
  },
  {
    method: 'POST',
    path: '/containers/{id}/attach',
    handler: async (ctx, backend) => {
      const id = ctx.param('id');
      const tty = backend.containerIsTty(id);
      const opts = {
        stream: ctx.bool('stream'),
        logs: ctx.bool('logs'),
        stdin: ctx.bool('stdin'),
        stdout: ctx.bool('stdout'),
        stderr: ctx.bool('stderr'),
        detachKeys: ctx.str('detachKeys'),
      };
      const { input, output } = ctx.hijack(
        tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream',
      );
      await backend.containerAttach(id, opts, { input: opts.stdin ? input : null, output: frameWriter(output, tty) });
    },
  },
  {
    method: 'DELETE',
    path: '/containers/{id}',
    handler: async (ctx, backend) => {
      await backend.containerRemove(ctx.param('id'), { force: ctx.bool('force'), volumes: ctx.bool('v') });
      noContent(ctx);
    },
  },
  {
    method: 'HEAD',
    path: '/containers/{id}/archive',
    handler: async (ctx, backend) => {
      const stat = await backend.containerArchiveStat(ctx.param('id'), ctx.str('path') ?? '');
      const res = ctx.stream(200, 'application/json', {
        'X-Docker-Container-Path-Stat': Buffer.from(JSON.stringify(stat)).toString('base64'),
      });
      res.end();
    },
  },
  {
    method: 'GET',
    path: '/containers/{id}/archive',
    handler: async (ctx, backend) => {
      const { stat, tar } = await backend.containerArchiveGet(ctx.param('id'), ctx.str('path') ?? '');
      const res = ctx.stream(200, 'application/x-tar', {
        'X-Docker-Container-Path-Stat': Buffer.from(JSON.stringify(stat)).toString('base64'),
      });
      await pipeline(tar, res);
    },
  },
  {
    method: 'PUT',
    path: '/containers/{id}/archive',
    handler: async (ctx, backend) => {
      const path = ctx.str('path');
      if (!path) throw new EngineError('BAD_PARAMETER', 'path is required');
      const body = new PassThrough();
      ctx.req.pipe(body);
      await backend.containerArchivePut(ctx.param('id'), path, body, {
        noOverwriteDirNonDir: ctx.bool('noOverwriteDirNonDir'),
        copyUIDGID: ctx.bool('copyUIDGID'),
      });
      ctx.send(200);
    },
  },
  {
    method: 'POST',
    path: '/commit',
    handler: async (ctx, backend) => {
      const container = ctx.str('container');
      if (!container) throw new EngineError('BAD_PARAMETER', 'container is required');
      const repo = ctx.str('repo');
      const tag = ctx.str('tag');
      const config = await ctx.json<Record<string, unknown> | null>(null as never).catch(() => null);
      const result = await backend.containerCommit(container, {
        reference: repo ? `${repo}${tag ? `:${tag}` : ''}` : undefined,
        comment: ctx.str('comment'),
        author: ctx.str('author'),
        changes: ctx.query.getAll('changes'),
        pause: ctx.bool('pause', true),
        config: config ?? undefined,
      });
      ctx.send(201, result);
    },
  },
];
