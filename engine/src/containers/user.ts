import { readFile } from 'node:fs/promises';
import { EngineError } from '../errors.js';
import { resolveInRoot } from './spec-rootfs.js';

/**
 * `docker run --user` resolution against the image's own /etc/passwd and /etc/group, with runc's
 * rules (libcontainer/user GetExecUser) and Docker's --group-add (GetAdditionalGroups):
 * - "" is uid 0; a name must exist in passwd; a number need not (its gid is then 0);
 * - "user:group" sets the primary group explicitly (name must exist, number need not);
 * - without an explicit group, supplementary groups are those listing the user by name.
 */

export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids: number[];
  /** Home from passwd, "/" when the user has no entry. */
  home: string;
  /** The passwd name, when the user was found there. */
  name?: string;
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

const MAX_ID = 2 ** 31 - 1;

export async function resolveUser(
  rootfsPath: string,
  userSpec: string | undefined,
  groupAdd: string[] = [],
): Promise<ResolvedUser> {
  const passwd = parsePasswd(await readInRoot(rootfsPath, '/etc/passwd'));
  const groups = parseGroup(await readInRoot(rootfsPath, '/etc/group'));
  const user = resolveUserIn(passwd, groups, userSpec ?? '');
  const extra = additionalGroups(groups, groupAdd);
  return { ...user, additionalGids: dedupe([...user.additionalGids, ...extra]) };
}

/** The pure part of resolveUser, over parsed files. */
export function resolveUserIn(passwd: PasswdEntry[], groups: GroupEntry[], userSpec: string): ResolvedUser {
  const colon = userSpec.indexOf(':');
  const userArg = colon < 0 ? userSpec : userSpec.slice(0, colon);
  const groupArg = colon < 0 ? '' : userSpec.slice(colon + 1);
  const uidArg = numeric(userArg);
  const gidArg = numeric(groupArg);

  const result: ResolvedUser = { uid: 0, gid: 0, additionalGids: [], home: '/' };
  const match =
    userArg === ''
      ? passwd.find((u) => u.uid === 0)
      : uidArg !== undefined
        ? passwd.find((u) => u.uid === uidArg)
        : passwd.find((u) => u.name === userArg);
  if (match) {
    Object.assign(result, { uid: match.uid, gid: match.gid, home: match.home, name: match.name });
  } else if (userArg !== '') {
    if (uidArg === undefined)
      throw new EngineError('RUNTIME', `unable to find user ${userArg}: no matching entries in passwd file`);
    result.uid = uidArg;
  }

  if (groupArg !== '') {
    const g = gidArg !== undefined ? groups.find((e) => e.gid === gidArg) : groups.find((e) => e.name === groupArg);
    if (g) result.gid = g.gid;
    else if (gidArg !== undefined) result.gid = gidArg;
    else throw new EngineError('RUNTIME', `unable to find group ${groupArg}: no matching entries in group file`);
  } else if (result.name !== undefined) {
    const name = result.name;
    result.additionalGids = groups.filter((g) => g.members.includes(name)).map((g) => g.gid);
  }
  return result;
}

/** --group-add: names from /etc/group, or numbers. */
function additionalGroups(groups: GroupEntry[], groupAdd: string[]): number[] {
  return groupAdd.map((spec) => {
    const g = groups.find((e) => e.name === spec);
    if (g) return g.gid;
    const n = numeric(spec);
    if (n === undefined) throw new EngineError('RUNTIME', `Unable to find group ${spec}`);
    return n;
  });
}

function numeric(s: string): number | undefined {
  if (!/^\d+$/.test(s)) return undefined;
  const n = Number(s);
  if (n > MAX_ID) throw new EngineError('RUNTIME', `uid/gid ${s} is out of range`);
  return n;
}

function dedupe(ids: number[]): number[] {
  return [...new Set(ids)];
}

async function readInRoot(rootfsPath: string, path: string): Promise<string> {
  try {
    return await readFile(await resolveInRoot(rootfsPath, path), 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // An image without these files (scratch) resolves numerically only.
    if (code === 'ENOENT' || code === 'ENOTDIR') return '';
    throw err;
  }
}

function lines(text: string): string[][] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.split(':'));
}

export function parsePasswd(text: string): PasswdEntry[] {
  return lines(text).map((f) => ({
    name: f[0] ?? '',
    uid: Number.parseInt(f[2] ?? '', 10) || 0,
    gid: Number.parseInt(f[3] ?? '', 10) || 0,
    home: f[5] || '/',
  }));
}

export function parseGroup(text: string): GroupEntry[] {
  return lines(text).map((f) => ({
    name: f[0] ?? '',
    gid: Number.parseInt(f[2] ?? '', 10) || 0,
    members: (f[3] ?? '').split(',').filter((m) => m !== ''),
  }));
}
