// Password hashing with argon2id (@node-rs/argon2: prebuilt, no compiler needed).
import { randomBytes } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';
import { Errors } from '../errors.js';

export const MIN_PASSWORD_LENGTH = 12;

// OWASP's baseline for argon2id: 19 MiB, 2 iterations, 1 lane.
// algorithm 2 = Argon2id (the package exports it as a const enum, unusable under isolatedModules).
const OPTIONS = { algorithm: 2 as const, memoryCost: 19456, timeCost: 2, parallelism: 1 };

export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  try {
    return await verify(stored, password);
  } catch {
    return false;
  }
}

/** A hash of a random password, verified against when the username does not exist so the
 * response time does not reveal which usernames are real. */
let dummyHash: Promise<string> | undefined;
export function dummyPasswordHash(): Promise<string> {
  dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
  return dummyHash;
}

export function assertStrongPassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) throw Errors.PASSWORD_WEAK();
}

/** 24 random bytes in base64url (32 characters): for bootstrap and reset passwords. */
export function randomPassword(): string {
  return randomBytes(24).toString('base64url');
}
