import { EngineError } from '../../errors.js';
import type { Backend, NetworkBackend } from '../backend.js';
import type { Route } from '../router.js';

function networks(backend: Backend): NetworkBackend {
  if (!backend.networkList) throw new EngineError('NOT_IMPLEMENTED', 'networks');
  return backend as NetworkBackend;
}

export const networkRoutes: Route[] = [
  {
    method: 'GET',
    path: '/networks',
    handler: async (ctx, b) => ctx.send(200, await networks(b).networkList(ctx.filters())),
  },
  {
    method: 'POST',
    path: '/networks/create',
    handler: async (ctx, b) => ctx.send(201, await networks(b).networkCreate(await ctx.json())),
  },
  {
    method: 'POST',
    path: '/networks/prune',
    handler: async (ctx, b) => ctx.send(200, await networks(b).networkPrune(ctx.filters())),
  },
  {
    method: 'GET',
    path: '/networks/{id}',
    handler: async (ctx, b) => ctx.send(200, await networks(b).networkInspect(ctx.param('id'))),
  },
  {
    method: 'POST',
    path: '/networks/{id}/connect',
    handler: async (ctx, b) => {
      await networks(b).networkConnect(ctx.param('id'), await ctx.json());
      ctx.send(200);
    },
  },
  {
    method: 'POST',
    path: '/networks/{id}/disconnect',
    handler: async (ctx, b) => {
      await networks(b).networkDisconnect(ctx.param('id'), await ctx.json());
      ctx.send(200);
    },
  },
  {
    method: 'DELETE',
    path: '/networks/{id}',
    handler: async (ctx, b) => {
      await networks(b).networkRemove(ctx.param('id'));
      ctx.send(204);
    },
  },
];
