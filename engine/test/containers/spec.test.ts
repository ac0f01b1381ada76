import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildSpec,
  mergeImageDefaults,
  processArgv,
  replaceOrAppendEnv,
  type SpecInput,
} from '../../src/containers/spec.js';
import { DEFAULT_CAPABILITIES, DEFAULT_PATH } from '../../src/containers/spec-defaults.js';
import { mergeTmpfsOptions } from '../../src/containers/spec-mounts.js';
import { isEngineError } from '../../src/errors.js';
import type { ContainerConfig } from '../../src/types/docker.js';

let dir: string;
let rootfs: string;
const ID = 'abcdef0123456789abcdef0123456789';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-spec-'));
  rootfs = join(dir, 'rootfs');
  await mkdir(join(rootfs, 'etc'), { recursive: true });
  await writeFile(join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n');
  await writeFile(join(rootfs, 'etc/group'), 'root:x:0:\napp:x:1000:\naudio:x:29:app\n');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function input(config: Partial<ContainerConfig>, extra: Partial<SpecInput> = {}): SpecInput {
  return { id: ID, config: { Image: 'busybox', ...config }, hostConfig: {}, rootfsPath: rootfs, ...extra };
}

const argvOf = (user: Partial<ContainerConfig>, image: { Entrypoint?: string[] | null; Cmd?: string[] | null }) =>
  processArgv(mergeImageDefaults({ Image: 'x', ...user }, image));

describe('entrypoint and cmd (moby merge rules)', () => {
  const image = { Entrypoint: ['/entry', '-e'], Cmd: ['img-cmd'] };
  it.each([
    ['nothing given: image entrypoint + image cmd', {}, ['/entry', '-e', 'img-cmd']],
    ['cmd given: image entrypoint + container cmd', { Cmd: ['mine'] }, ['/entry', '-e', 'mine']],
    ['entrypoint given: replaces it and drops the image cmd', { Entrypoint: ['/other'] }, ['/other']],
    ['both given', { Entrypoint: ['/other'], Cmd: ['a', 'b'] }, ['/other', 'a', 'b']],
    ['entrypoint [""] with a cmd', { Entrypoint: [''], Cmd: ['sh'] }, ['sh']],
    ['empty entrypoint list keeps none but inherits cmd', { Entrypoint: [] }, ['img-cmd']],
    ['null entrypoint inherits like a missing one', { Entrypoint: null, Cmd: ['x'] }, ['/entry', '-e', 'x']],
  ] as const)('%s', (_name, user, expected) => {
    expect(argvOf(user as Partial<ContainerConfig>, image)).toEqual(expected);
  });

  it('an image without entrypoint runs its cmd, or the container cmd', () => {
    expect(argvOf({}, { Cmd: ['sh'] })).toEqual(['sh']);
    expect(argvOf({ Cmd: ['echo', 'hi'] }, { Cmd: ['sh'] })).toEqual(['echo', 'hi']);
  });

  it('refuses a container with no command at all', () => {
    expect(() => argvOf({}, {})).toThrow(/no command specified/);
    // `--entrypoint ""` alone: the entrypoint was given (so the image cmd is dropped), then reset.
    expect(() => argvOf({ Entrypoint: [''] }, image)).toThrow(/no command specified/);
  });

  it('is idempotent: merging a merged config changes nothing', () => {
    const img = { Entrypoint: ['/e'], Cmd: ['c'], Env: ['A=1', 'B=2'], User: 'app', WorkingDir: '/w' };
    const once = mergeImageDefaults({ Image: 'x', Env: ['B=3'], Entrypoint: [''], Cmd: ['run'] }, img);
    expect(processArgv(once)).toEqual(['run']);
    expect(mergeImageDefaults(once, img)).toEqual(once);
  });
});

describe('environment', () => {
  it('puts user entries first, then image entries not overridden (moby merge)', () => {
    const merged = mergeImageDefaults({ Image: 'x', Env: ['B=user', 'C=3'] }, { Env: ['A=1', 'B=image'] });
    expect(merged.Env).toEqual(['B=user', 'C=3', 'A=1']);
  });

  it('replaces in place, appends, and unsets on a bare name', () => {
    expect(replaceOrAppendEnv(['PATH=/bin', 'HOSTNAME=h', 'X=1'], ['X=2', 'NEW=y', 'HOSTNAME'])).toEqual([
      'PATH=/bin',
      'X=2',
      'NEW=y',
    ]);
  });

  it('gives the default PATH when the image sets none, and HOSTNAME', async () => {
    const spec = await buildSpec(input({ Cmd: ['sh'] }));
    expect(spec.process.env).toEqual([`PATH=${DEFAULT_PATH}`, `HOSTNAME=${ID.slice(0, 12)}`]);
    expect(DEFAULT_PATH).toBe('/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
  });

  it("keeps the image's PATH, adds TERM with a TTY, and lets the container override", async () => {
    const spec = await buildSpec(
      input(
        { Cmd: ['sh'], Tty: true, Hostname: 'web', Env: ['FOO=bar', 'PATH=/custom'] },
        { image: { Env: ['PATH=/img/bin', 'LANG=C'] } },
      ),
    );
    expect(spec.process.env).toEqual(['PATH=/custom', 'HOSTNAME=web', 'TERM=xterm', 'FOO=bar', 'LANG=C']);
    expect(spec.hostname).toBe('web');
    expect(spec.process.terminal).toBe(true);
  });
});

describe('buildSpec', () => {
  it('builds a Docker-like default spec', async () => {
    const spec = await buildSpec(
      input({ Cmd: ['sh'], Labels: { tier: 'web' } }, { image: { Labels: { from: 'image' } } }),
    );
    expect(spec.process.args).toEqual(['sh']);
    expect(spec.process.cwd).toBe('/');
    expect(spec.process.user).toEqual({ uid: 0, gid: 0 });
    expect(spec.process.capabilities?.bounding).toEqual(DEFAULT_CAPABILITIES);
    expect(spec.process.rlimits).toBeUndefined();
    expect(spec.root).toEqual({ path: 'rootfs', readonly: false });
    expect(spec.linux.cgroupsPath).toBe(`/berth/${ID}`);
    expect(spec.linux.namespaces.map((n) => n.type).sort()).toEqual(['ipc', 'mount', 'network', 'pid', 'uts']);
    expect(spec.linux.maskedPaths).toContain('/proc/kcore');
    expect(spec.linux.readonlyPaths).toContain('/proc/sys');
    expect(spec.mounts.map((m) => m.destination)).toEqual([
      '/proc',
      '/dev',
      '/dev/pts',
      '/sys',
      '/sys/fs/cgroup',
      '/dev/mqueue',
      '/dev/shm',
    ]);
    expect(spec.mounts.find((m) => m.destination === '/dev/shm')?.options).toContain('size=67108864');
    expect(spec.mounts.find((m) => m.destination === '/sys')?.options).toContain('ro');
    expect(spec.annotations).toEqual({ from: 'image', tier: 'web' });
    expect(spec.linux.resources?.devices?.[0]).toEqual({ allow: false, access: 'rwm' });
  });

  it('resolves the user and working dir from the image', async () => {
    const spec = await buildSpec(input({ Cmd: ['sh'] }, { image: { User: 'app', WorkingDir: '/srv/app' } }));
    expect(spec.process.user).toEqual({ uid: 1000, gid: 1000, additionalGids: [29] });
    expect(spec.process.cwd).toBe('/srv/app');
    await expect(buildSpec(input({ Cmd: ['sh'], WorkingDir: 'rel' }))).rejects.toThrow(/absolute path/);
  });

  it('adds binds, mounts and tmpfs after the defaults, parents first, replacing overlapped defaults', async () => {
    const src = join(dir, 'data');
    const spec = await buildSpec(
      input(
        { Cmd: ['sh'] },
        {
          hostConfig: {
            Binds: [`${src}/deep:/data/deep:ro`, `${src}:/data`],
            Mounts: [{ Type: 'tmpfs', Target: '/dev/shm', TmpfsOptions: { SizeBytes: 1024 } }],
            Tmpfs: { '/run': 'exec,size=1m' },
            ReadonlyRootfs: true,
          },
          etcFiles: { hostname: '/c/hostname', hosts: '/c/hosts', resolvConf: '/c/resolv.conf' },
        },
      ),
    );
    const dests = spec.mounts.map((m) => m.destination);
    expect(dests.filter((d) => d === '/dev/shm')).toHaveLength(1);
    expect(dests.slice(-7)).toEqual([
      '/data',
      '/run',
      '/data/deep',
      '/dev/shm',
      '/etc/resolv.conf',
      '/etc/hostname',
      '/etc/hosts',
    ]);
    expect(dests.indexOf('/data')).toBeLessThan(dests.indexOf('/data/deep'));
    expect(spec.mounts.find((m) => m.destination === '/data/deep')?.options).toEqual(['rbind', 'rprivate', 'ro']);
    expect(spec.mounts.find((m) => m.destination === '/run')?.options).toEqual([
      'nosuid',
      'nodev',
      'rprivate',
      'exec',
      'size=1m',
    ]);
    expect(spec.mounts.find((m) => m.destination === '/etc/hosts')?.options).toContain('ro');
    expect(spec.root.readonly).toBe(true);
    await expect(
      buildSpec(input({ Cmd: ['sh'] }, { hostConfig: { Binds: [`${src}:/x`, `${src}:/x`] } })),
    ).rejects.toThrow(/Duplicate mount point: \/x/);
    await expect(buildSpec(input({ Cmd: ['sh'] }, { hostConfig: { Binds: ['named:/x'] } }))).rejects.toSatisfy((e) =>
      isEngineError(e, 'NOT_IMPLEMENTED'),
    );
    await expect(
      buildSpec(
        input(
          { Cmd: ['sh'] },
          { hostConfig: { Mounts: [{ Type: 'bind', Source: join(dir, 'missing'), Target: '/m' }] } },
        ),
      ),
    ).rejects.toThrow(/bind source path does not exist/);
  });

  it('merges tmpfs options the way moby does', () => {
    expect(
      mergeTmpfsOptions(['noexec', 'nosuid', 'nodev', 'rprivate', 'exec', 'size=1m', 'size=2m', 'shared']),
    ).toEqual(['nosuid', 'nodev', 'exec', 'size=2m', 'shared']);
    expect(() => mergeTmpfsOptions(['bogus=1'])).toThrow(/invalid tmpfs option/);
  });

  it('tweaks capabilities and makes privileged containers unconfined', async () => {
    const tweaked = await buildSpec(
      input({ Cmd: ['sh'] }, { hostConfig: { CapAdd: ['net_admin'], CapDrop: ['CAP_CHOWN', 'mknod'] } }),
    );
    const caps = tweaked.process.capabilities?.effective ?? [];
    expect(caps).toContain('CAP_NET_ADMIN');
    expect(caps).not.toContain('CAP_CHOWN');
    expect(caps).not.toContain('CAP_MKNOD');
    const dropAll = await buildSpec(input({ Cmd: ['sh'] }, { hostConfig: { CapDrop: ['ALL'], CapAdd: ['KILL'] } }));
    expect(dropAll.process.capabilities?.bounding).toEqual(['CAP_KILL']);
    await expect(buildSpec(input({ Cmd: ['sh'] }, { hostConfig: { CapAdd: ['CAP_FLY'] } }))).rejects.toThrow(
      /unknown capability/,
    );

    const priv = await buildSpec(input({ Cmd: ['sh'] }, { hostConfig: { Privileged: true } }));
    expect(priv.process.capabilities?.bounding).toContain('CAP_SYS_ADMIN');
    expect(priv.linux.maskedPaths).toBeUndefined();
    expect(priv.linux.readonlyPaths).toBeUndefined();
    expect(priv.linux.resources?.devices).toEqual([{ allow: true, access: 'rwm' }]);
    expect(priv.linux.devices?.some((d) => d.path === '/dev/null' && d.major === 1 && d.minor === 3)).toBe(true);
    expect(priv.mounts.find((m) => m.destination === '/sys')?.options).toContain('rw');
  });

  it('maps resource limits', async () => {
    const spec = await buildSpec(
      input(
        { Cmd: ['sh'] },
        { hostConfig: { Memory: 64 << 20, NanoCpus: 1_500_000_000, CpuShares: 512, CpusetCpus: '0', PidsLimit: 100 } },
      ),
    );
    const r = spec.linux.resources;
    expect(r?.memory?.limit).toBe(64 << 20);
    expect(r?.cpu).toEqual({ shares: 512, period: 100_000, quota: 150_000, cpus: '0' });
    expect(r?.pids).toEqual({ limit: 100 });
  });

  it('never asks for more than the host hard limit', async () => {
    const ok = await buildSpec(
      input({ Cmd: ['sh'] }, { hostConfig: { Ulimits: [{ Name: 'nofile', Soft: 1024, Hard: 2048 }] } }),
    );
    expect(ok.process.rlimits).toEqual([{ type: 'RLIMIT_NOFILE', soft: 1024, hard: 2048 }]);
    await expect(
      buildSpec(input({ Cmd: ['sh'] }, { hostConfig: { Ulimits: [{ Name: 'nofile', Soft: 1024, Hard: 2 ** 40 }] } })),
    ).rejects.toThrow(/exceeds the host's hard limit/);
  });

  it('shares host namespaces when asked, and joins a given network namespace', async () => {
    const host = await buildSpec(
      input({ Cmd: ['sh'] }, { hostConfig: { NetworkMode: 'host', PidMode: 'host', UTSMode: 'host' } }),
    );
    expect(host.linux.namespaces.map((n) => n.type).sort()).toEqual(['ipc', 'mount']);
    expect(host.hostname).toBeUndefined();
    const joined = await buildSpec(input({ Cmd: ['sh'] }, { netnsPath: '/run/netns/x' }));
    expect(joined.linux.namespaces).toContainEqual({ type: 'network', path: '/run/netns/x' });
  });
});
