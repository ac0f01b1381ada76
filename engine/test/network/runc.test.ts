import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NetworkManager } from '../../src/network/manager.js';

// A real runc container joining the namespace berthd prepared (the OCI spec's network
// namespace `path`), with the generated /etc files bind-mounted: what the daemon will do.
const tag = randomBytes(2).toString('hex');
const runcRoot = join(tmpdir(), `berth-runc-net-${tag}`);
let root: string;
let mgr: NetworkManager;
const runc = (...args: string[]) => promisify(execFile)('runc', ['--root', runcRoot, ...args]);

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'berth-netrunc-'));
  await writeFile(join(root, 'resolv.conf'), 'nameserver 10.1.1.1\n');
  mgr = new NetworkManager({
    root,
    defaultBridge: { name: `btr${tag}`, subnet: '10.213.60.0/24' },
    resolvConfPath: join(root, 'resolv.conf'),
    dnsUpstreams: [],
  });
  await mgr.init();
  await mgr.create({ Name: 'tnet-runc', IPAM: { Config: [{ Subnet: '10.213.61.0/24' }] } });
});

afterAll(async () => {
  for (const n of mgr.list()) {
    for (const c of Object.keys(mgr.inspect(n.Id).Containers)) await mgr.containers.remove(c);
  }
  await mgr.uninstall();
  await rm(root, { recursive: true, force: true });
  await rm(runcRoot, { recursive: true, force: true });
});

describe('runc in a berthd network namespace', () => {
  it('serves on the published port, sees its /etc files and resolves a peer by name', async () => {
    const id = randomBytes(32).toString('hex');
    const peer = randomBytes(32).toString('hex');
    await mgr.containers.create(peer, { name: 'peer', hostname: 'peer', networkMode: 'tnet-runc' });
    await mgr.containers.start(peer, { filesDir: join(root, 'peer') });
    await mgr.containers.create(id, {
      name: 'web',
      hostname: id.slice(0, 12),
      networkMode: 'tnet-runc',
      exposedPorts: { '80/tcp': {} },
      hostConfig: { PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1' }] } },
    });
    const net = await mgr.containers.start(id, { filesDir: join(root, 'files') });

    const bundle = join(root, 'bundle');
    await mkdir(join(bundle, 'rootfs/bin'), { recursive: true });
    await mkdir(join(bundle, 'rootfs/etc'), { recursive: true });
    await mkdir(join(root, 'www'));
    await writeFile(join(root, 'www/index.html'), 'served by runc\n');
    await copyFile('/bin/busybox', join(bundle, 'rootfs/bin/busybox'));
    await symlink('busybox', join(bundle, 'rootfs/bin/sh'));
    execFileSync('runc', ['spec', '--bundle', bundle]);
    const spec = JSON.parse(await readFile(join(bundle, 'config.json'), 'utf8'));
    spec.process.args = ['/bin/busybox', 'httpd', '-f', '-p', '80', '-h', '/www'];
    spec.process.terminal = false;
    spec.root.readonly = false;
    spec.hostname = id.slice(0, 12);
    spec.linux.cgroupsPath = `/berth-nettest/${id.slice(0, 12)}`;
    spec.linux.namespaces = spec.linux.namespaces.map((n: { type: string }) =>
      n.type === 'network' ? { type: 'network', path: net.netnsPath } : n,
    );
    spec.mounts.push(...net.mounts, {
      destination: '/www',
      type: 'bind',
      source: join(root, 'www'),
      options: ['rbind', 'ro'],
    });
    await writeFile(join(bundle, 'config.json'), JSON.stringify(spec));
    // Detached: the task keeps whatever stdio it is given, so give it none (pipes would never close).
    execFileSync('runc', ['--root', runcRoot, 'run', '-d', '--bundle', bundle, id], { stdio: 'ignore' });
    const port = mgr.containers.settings(id).Ports['80/tcp']?.[0]?.HostPort;
    try {
      let body = '';
      for (let i = 0; i < 50 && !body; i++) {
        body = await fetch(`http://127.0.0.1:${port}/`)
          .then((r) => r.text())
          .catch(() => '');
        if (!body) await new Promise((r) => setTimeout(r, 100));
      }
      expect(body).toBe('served by runc\n');
      const ip = mgr.containers.settings(id).Networks['tnet-runc']?.IPAddress;
      expect((await runc('exec', id, '/bin/busybox', 'cat', '/etc/hosts')).stdout).toContain(
        `${ip}\t${id.slice(0, 12)}`,
      );
      expect((await runc('exec', id, '/bin/busybox', 'cat', '/etc/resolv.conf')).stdout).toBe(
        'nameserver 10.213.61.1\noptions ndots:0\n',
      );
      const peerIp = mgr.containers.settings(peer).Networks['tnet-runc']?.IPAddress;
      // busybox resolves through the container's own resolv.conf: the network's DNS server.
      expect((await runc('exec', id, '/bin/busybox', 'nslookup', 'peer')).stdout).toContain(`Address: ${peerIp}`);
    } finally {
      await runc('delete', '-f', id);
      await mgr.containers.remove(id);
      await mgr.containers.remove(peer);
      for (const c of ['cpu', 'cpuacct', 'memory', 'pids', 'blkio', 'devices', 'freezer', 'cpuset', 'systemd']) {
        await promisify(execFile)('rmdir', [join('/sys/fs/cgroup', c, 'berth-nettest')]).catch(() => undefined);
      }
    }
    // Released with the container.
    await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow();
  });
});
