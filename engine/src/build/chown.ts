import { readFile } from 'node:fs/promises';
import { resolveInScope } from '../archive/scope.js';
import { parseGroup, parsePasswd } from '../containers/user.js';
import { EngineError } from '../errors.js';
import type { Identity } from './copy.js';

async function readInRoot(rootfs: string, path: string): Promise<string | undefined> {
  return readFile(await resolveInScope(rootfs, path), 'utf8').catch(() => undefined);
}

/**
 * `COPY --chown=user[:group]` against the destination root's /etc/passwd and /etc/group, with
 * the classic builder's rules: numbers are used as they are, names must exist, and a missing
 * group means a group of the same name as the user (not the user's primary group).
 */
export async function resolveChown(rootfs: string, spec: string): Promise<Identity> {
  const parts = spec.split(':');
  if (parts.length > 2) throw new EngineError('BAD_PARAMETER', `invalid chown string format: ${spec}`);
  const user = parts[0] ?? '';
  const group = parts.length === 2 ? (parts[1] ?? '') : user;
  const numeric = (s: string) => (/^\d+$/.test(s) ? Number(s) : undefined);
  let uid = numeric(user);
  if (uid === undefined) {
    const passwd = parsePasswd((await readInRoot(rootfs, 'etc/passwd')) ?? '');
    uid = passwd.find((e) => e.name === user)?.uid;
    if (uid === undefined)
      throw new EngineError(
        'BAD_PARAMETER',
        `unable to convert uid/gid chown string to host mapping: can't find uid for user ${user}: no such user: ${user}`,
      );
  }
  let gid = numeric(group);
  if (gid === undefined) {
    const groups = parseGroup((await readInRoot(rootfs, 'etc/group')) ?? '');
    gid = groups.find((g) => g.name === group)?.gid;
    if (gid === undefined)
      throw new EngineError(
        'BAD_PARAMETER',
        `unable to convert uid/gid chown string to host mapping: can't find gid for group ${group}: no such group: ${group}`,
      );
  }
  return { uid, gid };
}
