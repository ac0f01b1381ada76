// First start: with no users at all, create `admin` (global admin) with a one-time random
// password that must be changed at first sign-in. The caller prints it to the console once;
// it never goes through the logger.
import type { Db } from '../db/client.js';
import { hashPassword, randomPassword } from './password.js';

export async function ensureBootstrapAdmin(db: Db): Promise<{ username: string; password: string } | null> {
  if ((await db.user.count()) > 0) return null;
  const password = randomPassword();
  const username = 'admin';
  try {
    await db.user.create({
      data: { username, passwordHash: await hashPassword(password), isAdmin: true, mustChangePassword: true },
    });
  } catch {
    // Another gateway instance sharing the database won the race; it printed the password.
    return null;
  }
  return { username, password };
}
