import { copyFile, mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Mount } from '../../src/snapshots/types.js';

/**
 * A tiny busybox rootfs for runtime tests (busybox-static's /bin/busybox plus applet links),
 * used through a `bind` Mount the way a snapshotter's mounts are used. The storage helper's
 * test/fixtures/busybox.ts builds real images; this one needs no image store.
 */

const APPLETS = [
  'sh',
  'echo',
  'cat',
  'sleep',
  'true',
  'false',
  'id',
  'ls',
  'printf',
  'head',
  'seq',
  'stty',
  'env',
  'kill',
  'wc',
  'yes',
  'pwd',
  'hostname',
  'mkdir',
  'touch',
  'grep',
  'tr',
];

export async function makeBusyboxRootfs(dir: string): Promise<string> {
  const rootfs = join(dir, 'busybox-rootfs');
  for (const d of ['bin', 'etc', 'tmp', 'proc', 'sys', 'dev', 'root', 'home/app']) {
    await mkdir(join(rootfs, d), { recursive: true });
  }
  await copyFile('/bin/busybox', join(rootfs, 'bin/busybox'));
  await Promise.all(APPLETS.map((a) => symlink('busybox', join(rootfs, 'bin', a))));
  await writeFile(
    join(rootfs, 'etc/passwd'),
    'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n',
  );
  await writeFile(join(rootfs, 'etc/group'), 'root:x:0:\napp:x:1000:\nstaff:x:50:app\nnogroup:x:65534:\n');
  return rootfs;
}

export interface BundleOptions {
  args: string[];
  terminal?: boolean;
  env?: string[];
  cgroupParent?: string;
}

/** A bundle dir with a minimal config.json (Docker-like namespaces and mounts, no spec builder). */
export async function makeBundle(
  dir: string,
  id: string,
  rootfs: string,
  opts: BundleOptions,
): Promise<{ bundle: string; rootfs: Mount[] }> {
  const bundle = join(dir, 'bundles', id);
  await mkdir(bundle, { recursive: true });
  const caps = [
    'CAP_CHOWN',
    'CAP_DAC_OVERRIDE',
    'CAP_FOWNER',
    'CAP_KILL',
    'CAP_SETGID',
    'CAP_SETUID',
    'CAP_NET_BIND_SERVICE',
  ];
  const spec = {
    ociVersion: '1.0.2',
    process: {
      terminal: opts.terminal ?? false,
      user: { uid: 0, gid: 0 },
      args: opts.args,
      env: opts.env ?? ['PATH=/bin', 'HOME=/root'],
      cwd: '/',
      capabilities: { bounding: caps, effective: caps, permitted: caps },
    },
    root: { path: 'rootfs', readonly: false },
    hostname: id.slice(0, 12),
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
      {
        destination: '/dev',
        type: 'tmpfs',
        source: 'tmpfs',
        options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'],
      },
      {
        destination: '/dev/pts',
        type: 'devpts',
        source: 'devpts',
        options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
      },
      {
        destination: '/dev/shm',
        type: 'tmpfs',
        source: 'shm',
        options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'],
      },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    ],
    linux: {
      cgroupsPath: `/${opts.cgroupParent ?? 'berth-test'}/${id}`,
      namespaces: [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'network' }],
      maskedPaths: ['/proc/kcore'],
      readonlyPaths: ['/proc/sys'],
    },
  };
  await writeFile(join(bundle, 'config.json'), JSON.stringify(spec, null, 2));
  return { bundle, rootfs: [{ type: 'bind', source: rootfs, options: ['rbind', 'rw'] }] };
}
