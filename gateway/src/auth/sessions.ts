// Browser sessions: an httpOnly, SameSite=Lax cookie carries a random secret; the database keeps
// its SHA-256 as the row id.
import type { Db } from '../db/client.js';
import { newSecret, sha256 } from './secrets.js';

export const SESSION_COOKIE = 'berth_session';
const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
// lastSeenAt is refreshed at most this often, so reads do not turn into writes.
const TOUCH_INTERVAL_MS = 60 * 1000;

export interface SessionUser {
  id: string;
  username: string;
  isAdmin: boolean;
  mustChangePassword: boolean;
}

export async function createSession(
  db: Db,
  userId: string,
  meta: { clientIp: string | null; userAgent: string | null },
): Promise<{ cookie: string; sessionId: string; expiresAt: Date }> {
  const cookie = newSecret();
  const expiresAt = new Date(Date.now() + SESSION_TTL_MS);
  const row = await db.session.create({
    data: {
      id: sha256(cookie),
      userId,
      expiresAt,
      clientIp: meta.clientIp,
      userAgent: meta.userAgent?.slice(0, 300) ?? null,
    },
  });
  return { cookie, sessionId: row.id, expiresAt };
}

export async function lookupSession(db: Db, cookie: string): Promise<{ sessionId: string; user: SessionUser } | null> {
  const session = await db.session.findUnique({ where: { id: sha256(cookie) }, include: { user: true } });
  if (!session || session.user.disabled) return null;
  const now = Date.now();
  if (session.expiresAt.getTime() <= now) {
    await db.session.delete({ where: { id: session.id } }).catch(() => {});
    return null;
  }
  if (now - session.lastSeenAt.getTime() > TOUCH_INTERVAL_MS) {
    await db.session.update({ where: { id: session.id }, data: { lastSeenAt: new Date(now) } }).catch(() => {});
  }
  const { user } = session;
  return {
    sessionId: session.id,
    user: { id: user.id, username: user.username, isAdmin: user.isAdmin, mustChangePassword: user.mustChangePassword },
  };
}

export async function deleteSession(db: Db, sessionId: string): Promise<void> {
  await db.session.deleteMany({ where: { id: sessionId } });
}

export function sessionCookieHeader(value: string, opts: { expiresAt?: Date; secure: boolean }): string {
  const parts = [`${SESSION_COOKIE}=${value}`, 'Path=/', 'HttpOnly', 'SameSite=Lax'];
  if (opts.secure) parts.push('Secure');
  if (opts.expiresAt) parts.push(`Expires=${opts.expiresAt.toUTCString()}`);
  else parts.push('Max-Age=0');
  return parts.join('; ');
}

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
