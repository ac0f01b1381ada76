import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveUser } from '../../src/containers/user.js';

let dir: string;
let rootfs: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-user-'));
  rootfs = join(dir, 'rootfs');
  await mkdir(join(rootfs, 'etc'), { recursive: true });
  await writeFile(
    join(rootfs, 'etc/passwd'),
    [
      '# comment',
      'root:x:0:0:root:/root:/bin/sh',
      'daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin',
      'app:x:1000:1001:App:/home/app:/bin/sh',
      'dup:x:1000:5::/dup:/bin/sh',
      '',
    ].join('\n'),
  );
  await writeFile(
    join(rootfs, 'etc/group'),
    ['root:x:0:', 'wheel:x:10:root,app', 'app:x:1001:', 'audio:x:29:app', 'video:x:44:other', ''].join('\n'),
  );
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('resolveUser (runc GetExecUser rules)', () => {
  it('defaults to root, with root supplementary groups', async () => {
    expect(await resolveUser(rootfs, '')).toEqual({
      uid: 0,
      gid: 0,
      additionalGids: [10],
      home: '/root',
      name: 'root',
    });
    expect(await resolveUser(rootfs, undefined)).toMatchObject({ uid: 0, gid: 0 });
  });

  it('resolves a name to its uid, primary gid, home and groups', async () => {
    expect(await resolveUser(rootfs, 'app')).toEqual({
      uid: 1000,
      gid: 1001,
      additionalGids: [10, 29],
      home: '/home/app',
      name: 'app',
    });
  });

  it('treats a numeric user as a uid; the first passwd match wins', async () => {
    expect(await resolveUser(rootfs, '1000')).toMatchObject({ uid: 1000, gid: 1001, name: 'app' });
  });

  it('accepts a numeric uid with no passwd entry (gid 0, no groups)', async () => {
    expect(await resolveUser(rootfs, '4242')).toEqual({ uid: 4242, gid: 0, additionalGids: [], home: '/' });
  });

  it('takes an explicit group by name or number, without supplementary groups', async () => {
    expect(await resolveUser(rootfs, 'app:audio')).toEqual({
      uid: 1000,
      gid: 29,
      additionalGids: [],
      home: '/home/app',
      name: 'app',
    });
    expect(await resolveUser(rootfs, 'app:4242')).toMatchObject({ uid: 1000, gid: 4242, additionalGids: [] });
    expect(await resolveUser(rootfs, '4242:44')).toMatchObject({ uid: 4242, gid: 44 });
  });

  it('fails on unknown names the way docker reports it', async () => {
    await expect(resolveUser(rootfs, 'nobody')).rejects.toThrow(
      'unable to find user nobody: no matching entries in passwd file',
    );
    await expect(resolveUser(rootfs, 'app:nogroup')).rejects.toThrow(
      'unable to find group nogroup: no matching entries in group file',
    );
  });

  it('adds --group-add groups by name or number, without duplicates', async () => {
    expect((await resolveUser(rootfs, 'app', ['video', '29', '777'])).additionalGids).toEqual([10, 29, 44, 777]);
    await expect(resolveUser(rootfs, 'app', ['nosuch'])).rejects.toThrow(/Unable to find group nosuch/);
  });

  it('resolves numerically in an image without /etc/passwd', async () => {
    const scratch = join(dir, 'scratch');
    await mkdir(scratch, { recursive: true });
    expect(await resolveUser(scratch, '')).toEqual({ uid: 0, gid: 0, additionalGids: [], home: '/' });
    expect(await resolveUser(scratch, '10:20')).toMatchObject({ uid: 10, gid: 20 });
    await expect(resolveUser(scratch, 'app')).rejects.toThrow(/unable to find user app/);
  });

  it('reads /etc/passwd through symlinks without leaving the rootfs', async () => {
    const evil = join(dir, 'evil');
    await mkdir(join(evil, 'etc'), { recursive: true });
    // An absolute link that, followed on the host, would read the host's passwd.
    await symlink('/etc/hostile-passwd', join(evil, 'etc/passwd'));
    await writeFile(join(evil, 'etc/hostile-passwd'), 'root:x:0:0:root:/root:/bin/sh\nmallory:x:666:666::/m:/bin/sh\n');
    expect(await resolveUser(evil, 'mallory')).toMatchObject({ uid: 666, gid: 666 });
    await symlink('../../../../../../../../etc/shadow', join(evil, 'etc/group'));
    expect(await resolveUser(evil, 'mallory')).toMatchObject({ additionalGids: [] });
  });
});
