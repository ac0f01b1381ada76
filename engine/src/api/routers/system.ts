import type { Route } from '../router.js';

function pingHeaders(apiVersion: string): Record<string, string> {
  return {
    'Api-Version': apiVersion,
    'Builder-Version': '1',
    'Docker-Experimental': 'false',
    OSType: 'linux',
    'Cache-Control': 'no-cache, no-store, must-revalidate',
    Pragma: 'no-cache',
  };
}

export const systemRoutes: Route[] = [
  {
    method: 'GET',
    path: '/_ping',
    handler: (ctx, backend) => {
      const res = ctx.stream(200, 'text/plain; charset=utf-8', pingHeaders(backend.apiVersion));
      res.end(ctx.req.method === 'HEAD' ? undefined : 'OK');
    },
  },
  { method: 'GET', path: '/version', handler: (ctx, backend) => ctx.send(200, backend.version()) },
  { method: 'GET', path: '/info', handler: async (ctx, backend) => ctx.send(200, await backend.info()) },
  { method: 'GET', path: '/system/df', handler: async (ctx, backend) => ctx.send(200, await backend.diskUsage()) },
  {
    method: 'GET',
    path: '/events',
    handler: async (ctx, backend) => {
      const abort = new AbortController();
      const res = ctx.stream(200, 'application/json');
      res.on('close', () => abort.abort());
      const events = backend.events(
        { since: ctx.int('since'), until: ctx.int('until'), filters: ctx.filters() },
        abort.signal,
      );
      for await (const event of events) {
        if (!res.write(`${JSON.stringify(event)}\n`)) await new Promise((r) => res.once('drain', r));
      }
      res.end();
    },
  },
  {
    method: 'POST',
    path: '/auth',
    handler: async (ctx, backend) => ctx.send(200, await backend.registryLogin(await ctx.json())),
  },
];
