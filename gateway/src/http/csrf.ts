// Cross-site request defence for cookie-authenticated calls. Browsers send Origin on every
// POST and WebSocket handshake; a request whose Origin (or Sec-Fetch-Site) says another site is
// refused. Requests without Origin come from non-browser clients (curl, the CLI, tests), which
// hold no ambient cookie to abuse. The session cookie is SameSite=Lax as a second line.
import type { IncomingMessage } from 'node:http';

export function isCrossSite(req: IncomingMessage, trustProxy = 0): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site === 'cross-site') return true;
  const origin = req.headers.origin;
  if (!origin) return false;
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    return true;
  }
  // Behind a trusted proxy the browser's host is the one the proxy forwards.
  const forwardedHost = trustProxy > 0 ? req.headers['x-forwarded-host'] : undefined;
  const expected = (Array.isArray(forwardedHost) ? forwardedHost[0] : forwardedHost) ?? req.headers.host;
  return host !== expected;
}

export function isUnsafeMethod(method: string | undefined): boolean {
  return !['GET', 'HEAD', 'OPTIONS'].includes(method ?? 'GET');
}
