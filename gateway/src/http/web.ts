// Serves the Next.js console from the same origin (cookies stay first-party). `next` is loaded
// from the web workspace itself, so the gateway carries no dependency on it.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

export type WebHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

interface NextApp {
  prepare(): Promise<void>;
  getRequestHandler(): (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  close?(): Promise<void>;
}

export async function loadWeb(dir: string): Promise<{ handler: WebHandler; close(): Promise<void> }> {
  const webDir = resolve(dir);
  const require = createRequire(join(webDir, 'package.json'));
  const mod = require('next') as ((o: object) => NextApp) | { default: (o: object) => NextApp };
  const next = typeof mod === 'function' ? mod : mod.default;
  const app = next({ dir: webDir, dev: false });
  await app.prepare();
  const handle = app.getRequestHandler();
  return { handler: (req, res) => handle(req, res), close: async () => app.close?.() };
}
