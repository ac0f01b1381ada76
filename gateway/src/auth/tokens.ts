// API tokens for scripts and CI (Authorization: Bearer berth_…). The token is shown once at
// creation; the database keeps its SHA-256 and a short prefix for display.
import type { Db } from '../db/client.js';
import { newSecret, sha256 } from './secrets.js';
import type { SessionUser } from './sessions.js';

export const TOKEN_PREFIX = 'berth_';

export async function createApiToken(
  db: Db,
  userId: string,
  name: string,
  expiresAt: Date | null,
): Promise<{ id: string; token: string; prefix: string }> {
  const token = newSecret(TOKEN_PREFIX);
  const prefix = token.slice(0, TOKEN_PREFIX.length + 6);
  const row = await db.apiToken.create({ data: { userId, name, prefix, tokenHash: sha256(token), expiresAt } });
  return { id: row.id, token, prefix };
}

export async function lookupApiToken(db: Db, token: string): Promise<{ tokenId: string; user: SessionUser } | null> {
  if (!token.startsWith(TOKEN_PREFIX)) return null;
  const row = await db.apiToken.findUnique({ where: { tokenHash: sha256(token) }, include: { user: true } });
  if (!row || row.user.disabled) return null;
  if (row.expiresAt && row.expiresAt.getTime() <= Date.now()) return null;
  // Throttled like sessions: a busy script should not write on every call.
  if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() > 60_000) {
    await db.apiToken.update({ where: { id: row.id }, data: { lastUsedAt: new Date() } }).catch(() => {});
  }
  const { user } = row;
  return {
    tokenId: row.id,
    user: { id: user.id, username: user.username, isAdmin: user.isAdmin, mustChangePassword: user.mustChangePassword },
  };
}
