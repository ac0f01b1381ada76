import { pipeline } from 'node:stream/promises';
import { EngineError } from '../../errors.js';
import { withProgress } from '../progress.js';
import type { Route } from '../router.js';

function splitRepoTag(ref: string): { repo: string; tag?: string } {
  const at = ref.indexOf('@');
  if (at >= 0) return { repo: ref };
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  if (colon > slash) return { repo: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { repo: ref };
}

export const imageRoutes: Route[] = [
  {
    method: 'GET',
    path: '/images/json',
    handler: async (ctx, backend) =>
      ctx.send(
        200,
        await backend.imageList({ all: ctx.bool('all'), digests: ctx.bool('digests'), filters: ctx.filters() }),
      ),
  },
  {
    method: 'POST',
    path: '/images/create',
    handler: async (ctx, backend) => {
      const fromSrc = ctx.str('fromSrc');
      if (fromSrc !== undefined) {
        if (fromSrc !== '-')
          throw new EngineError('BAD_PARAMETER', 'importing from a URL is not supported; send the tar as the body');
        const repo = ctx.str('repo');
        const tag = ctx.str('tag');
        const reference = repo ? (tag ? `${repo}:${tag}` : repo) : undefined;
        await withProgress(ctx, async (progress) => {
          await backend.imageImport(
            ctx.req,
            { reference, changes: ctx.query.getAll('changes'), message: ctx.str('message') },
            progress,
          );
        });
        return;
      }
      const fromImage = ctx.str('fromImage');
      if (!fromImage) throw new EngineError('BAD_PARAMETER', 'fromImage or fromSrc is required');
      const tag = ctx.str('tag');
      const ref = tag ? (tag.startsWith('sha256:') ? `${fromImage}@${tag}` : `${fromImage}:${tag}`) : fromImage;
      await withProgress(ctx, (progress, signal) =>
        backend.imagePull(
          ref,
          { platform: ctx.str('platform'), registryAuth: ctx.req.headers['x-registry-auth'] as string | undefined },
          progress,
          signal,
        ),
      );
    },
  },
  {
    method: 'POST',
    path: '/images/load',
    handler: async (ctx, backend) => withProgress(ctx, (progress) => backend.imageLoad(ctx.req, progress)),
  },
  {
    method: 'GET',
    path: '/images/get',
    handler: async (ctx, backend) => {
      const names = ctx.query.getAll('names');
      if (names.length === 0) throw new EngineError('BAD_PARAMETER', 'names is required');
      const tar = await backend.imageSave(names);
      await pipeline(tar, ctx.stream(200, 'application/x-tar'));
    },
  },
  {
    method: 'POST',
    path: '/images/prune',
    handler: async (ctx, backend) => ctx.send(200, await backend.imagePrune(ctx.filters())),
  },
  {
    method: 'GET',
    path: '/images/search',
    handler: () => {
      throw new EngineError('NOT_IMPLEMENTED', 'image search');
    },
  },
  {
    method: 'GET',
    path: '/images/{name:.*}/get',
    handler: async (ctx, backend) => {
      const tar = await backend.imageSave([ctx.param('name')]);
      await pipeline(tar, ctx.stream(200, 'application/x-tar'));
    },
  },
  {
    method: 'GET',
    path: '/images/{name:.*}/json',
    handler: async (ctx, backend) => ctx.send(200, await backend.imageInspect(ctx.param('name'))),
  },
  {
    method: 'GET',
    path: '/images/{name:.*}/history',
    handler: async (ctx, backend) => ctx.send(200, await backend.imageHistory(ctx.param('name'))),
  },
  {
    method: 'POST',
    path: '/images/{name:.*}/tag',
    handler: async (ctx, backend) => {
      const repo = ctx.str('repo');
      if (!repo) throw new EngineError('BAD_PARAMETER', 'repository name (repo) is required');
      await backend.imageTag(ctx.param('name'), repo, ctx.str('tag') || undefined);
      ctx.send(201);
    },
  },
  {
    method: 'POST',
    path: '/images/{name:.*}/push',
    handler: async (ctx, backend) => {
      const tag = ctx.str('tag');
      const { repo, tag: own } = splitRepoTag(ctx.param('name'));
      const ref = tag ? `${repo}:${tag}` : own ? `${repo}:${own}` : repo;
      await withProgress(ctx, (progress, signal) =>
        backend.imagePush(
          ref,
          { registryAuth: ctx.req.headers['x-registry-auth'] as string | undefined },
          progress,
          signal,
        ),
      );
    },
  },
  {
    method: 'DELETE',
    path: '/images/{name:.*}',
    handler: async (ctx, backend) =>
      ctx.send(
        200,
        await backend.imageRemove(ctx.param('name'), { force: ctx.bool('force'), noprune: ctx.bool('noprune') }),
      ),
  },
];
