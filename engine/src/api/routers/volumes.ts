import { EngineError } from '../../errors.js';
import type { Backend, VolumeBackend } from '../backend.js';
import type { Route } from '../router.js';

function volumes(backend: Backend): VolumeBackend {
  if (!backend.volumeList) throw new EngineError('NOT_IMPLEMENTED', 'volumes');
  return backend as VolumeBackend;
}

export const volumeRoutes: Route[] = [
  {
    method: 'GET',
    path: '/volumes',
    handler: async (ctx, b) => ctx.send(200, await volumes(b).volumeList(ctx.filters())),
  },
  {
    method: 'POST',
    path: '/volumes/create',
    handler: async (ctx, b) => ctx.send(201, await volumes(b).volumeCreate(await ctx.json({}))),
  },
  {
    method: 'POST',
    path: '/volumes/prune',
    handler: async (ctx, b) => ctx.send(200, await volumes(b).volumePrune(ctx.filters())),
  },
  {
    method: 'GET',
    path: '/volumes/{name}',
    handler: async (ctx, b) => ctx.send(200, await volumes(b).volumeInspect(ctx.param('name'))),
  },
  {
    method: 'DELETE',
    path: '/volumes/{name}',
    handler: async (ctx, b) => {
      await volumes(b).volumeRemove(ctx.param('name'), ctx.bool('force'));
      ctx.send(204);
    },
  },
];
