import type { Backend } from './backend.js';
import type { RequestContext } from './context.js';

export type Handler = (ctx: RequestContext, backend: Backend) => Promise<void> | void;

export interface Route {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';
  /** Path pattern: `{name}` matches one segment; `{name:.*}` matches the rest (image names have slashes). */
  path: string;
  handler: Handler;
}

interface CompiledRoute extends Route {
  regex: RegExp;
  names: string[];
}

/**
 * Docker's paths carry image references with slashes and colons inside path parameters
 * (`/images/localhost:5000/a/b:tag/json`), which general-purpose routers do not match the way
 * moby's mux patterns do; this small matcher compiles moby-style patterns to regexes.
 */
export class Router {
  private readonly routes: CompiledRoute[] = [];

  add(routes: Route[]): this {
    for (const route of routes) {
      const names: string[] = [];
      const source = route.path
        .replace(/[.*+?^$()|[\]\\]/g, '\\$&')
        .replace(/\\?\{(\w+)(?::\\\.\\\*)?\}/g, (m, name: string) => {
          names.push(name);
          return m.includes(':') ? '(.+)' : '([^/]+)';
        });
      this.routes.push({ ...route, regex: new RegExp(`^${source}$`), names });
    }
    return this;
  }

  /** Returns the handler and params, `'method'` when only the method is wrong, or undefined. */
  match(method: string, path: string): { route: Route; params: Record<string, string> } | 'method' | undefined {
    let methodMismatch = false;
    for (const route of this.routes) {
      const m = route.regex.exec(path);
      if (!m) continue;
      if (route.method !== method && !(method === 'HEAD' && route.method === 'GET')) {
        methodMismatch = true;
        continue;
      }
      const params: Record<string, string> = {};
      route.names.forEach((name, i) => {
        params[name] = decodeURIComponent(m[i + 1] ?? '');
      });
      return { route, params };
    }
    return methodMismatch ? 'method' : undefined;
  }
}
