// The per-request tRPC context: who is calling (session cookie or Bearer token), from where,
// and a way for auth procedures to set the session cookie.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { lookupSession, readCookie, SESSION_COOKIE, type SessionUser } from './auth/sessions.js';
import { lookupApiToken } from './auth/tokens.js';
import type { Services } from './services.js';

export type AuthMethod = { kind: 'session'; sessionId: string } | { kind: 'token'; tokenId: string };

export interface Context {
  services: Services;
  user: SessionUser | null;
  auth: AuthMethod | null;
  clientIp: string | null;
  userAgent: string | null;
  /** Adds a Set-Cookie header to the response (no-op outside HTTP, e.g. in tests). */
  setCookie(header: string): void;
}

export function clientAddress(req: IncomingMessage, trustProxy: number): string | null {
  if (trustProxy > 0) {
    const forwarded = String(req.headers['x-forwarded-for'] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const hop = forwarded[forwarded.length - trustProxy];
    if (hop) return hop;
  }
  return req.socket.remoteAddress ?? null;
}

/** Resolves the caller from a Bearer token (preferred: explicit) or the session cookie. */
export async function authenticate(
  services: Services,
  req: IncomingMessage,
): Promise<{ user: SessionUser; auth: AuthMethod } | null> {
  const authorization = req.headers.authorization;
  if (authorization?.startsWith('Bearer ')) {
    const found = await lookupApiToken(services.db, authorization.slice('Bearer '.length).trim());
    return found ? { user: found.user, auth: { kind: 'token', tokenId: found.tokenId } } : null;
  }
  const cookie = readCookie(req.headers.cookie, SESSION_COOKIE);
  if (!cookie) return null;
  const found = await lookupSession(services.db, cookie);
  return found ? { user: found.user, auth: { kind: 'session', sessionId: found.sessionId } } : null;
}

export async function createHttpContext(
  services: Services,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<Context> {
  const who = await authenticate(services, req);
  return {
    services,
    user: who?.user ?? null,
    auth: who?.auth ?? null,
    clientIp: clientAddress(req, services.config.trustProxy),
    userAgent: req.headers['user-agent'] ?? null,
    setCookie(header) {
      const prev = res.getHeader('set-cookie');
      res.setHeader('set-cookie', [...(Array.isArray(prev) ? prev : prev ? [String(prev)] : []), header]);
    },
  };
}
