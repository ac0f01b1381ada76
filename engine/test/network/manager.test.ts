import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isEngineError } from '../../src/errors.js';
import { DnsServer } from '../../src/network/dns.js';
import { NetworkManager } from '../../src/network/manager.js';
import { netnsName } from '../../src/network/netns.js';

// Everything here lives in namespaces and bridges this file creates (10.213.0.0/16) and on
// loopback; nothing touches the host's routes or interfaces.
const tag = randomBytes(2).toString('hex');
const DEFAULT_BRIDGE = `btb${tag}`;
let root: string;
let mgr: NetworkManager;
let upstream: DnsServer;
const children: ChildProcess[] = [];
const newId = () => randomBytes(32).toString('hex');
const nsExec = (id: string, ...cmd: string[]) =>
  execFileSync('ip', ['netns', 'exec', netnsName(id), ...cmd], { timeout: 10_000 }).toString();
// The DNS server runs in this process: queries must not block its event loop.
const nsExecAsync = async (id: string, ...cmd: string[]) =>
  (await promisify(execFile)('ip', ['netns', 'exec', netnsName(id), ...cmd], { timeout: 10_000 })).stdout;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'berth-net-'));
  await writeFile(join(root, 'resolv.conf'), 'search corp.test\nnameserver 127.0.0.53\nnameserver 10.1.1.1\n');
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const upPort = s.address().port;
  s.close();
  upstream = new DnsServer({
    address: '127.0.0.1',
    port: upPort,
    resolver: {
      lookup: (n) => (n.endsWith('.invalid') ? undefined : ['192.0.2.77']),
      reverse: () => undefined,
      upstreams: () => [],
    },
  });
  await upstream.start();
  mgr = new NetworkManager({
    root,
    defaultBridge: { name: DEFAULT_BRIDGE, subnet: '10.213.0.0/24' },
    pools: ['10.213.200.0/24'],
    resolvConfPath: join(root, 'resolv.conf'),
    dnsUpstreams: [`127.0.0.1:${upPort}`],
  });
  await mgr.init();
});

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  for (const n of mgr?.list() ?? []) {
    for (const id of Object.keys(mgr.inspect(n.Id).Containers)) await mgr.containers.remove(id);
  }
  await mgr?.uninstall();
  await upstream?.stop();
  await rm(root, { recursive: true, force: true });
  expect(existsSync(`/sys/class/net/${DEFAULT_BRIDGE}`)).toBe(false);
  // Scoped to this manager's bridges: other berthd instances on the machine may have their own chains.
  const filter = execFileSync('iptables', ['-w', '-S']).toString();
  expect(filter).not.toContain(DEFAULT_BRIDGE);
  expect(filter).not.toMatch(/-A BERTH-[A-Z]+ .*10\.213\./);
  expect(execFileSync('iptables', ['-w', '-t', 'nat', '-S']).toString()).not.toContain('10.213.');
});

async function startContainer(
  id: string,
  name: string,
  cfg: Partial<Parameters<NetworkManager['containers']['create']>[1]> = {},
) {
  await mgr.containers.create(id, { name, hostname: id.slice(0, 12), ...cfg });
  return mgr.containers.start(id, { filesDir: join(root, 'c', id) });
}

const ipOf = (id: string, dev = 'eth0') => {
  const info = JSON.parse(nsExec(id, 'ip', '-j', '-4', 'addr', 'show', dev)) as { addr_info: { local: string }[] }[];
  return info[0]?.addr_info[0]?.local;
};

describe('user-defined bridge networks', () => {
  it('creates, inspects and lists networks with Docker shapes and errors', async () => {
    const { Id } = await mgr.create({
      Name: 'tnet-a',
      IPAM: { Config: [{ Subnet: '10.213.1.0/24' }] },
      Labels: { team: 'x' },
    });
    const n = mgr.inspect('tnet-a');
    expect(n).toMatchObject({
      Name: 'tnet-a',
      Id,
      Scope: 'local',
      Driver: 'bridge',
      EnableIPv6: false,
      IPAM: { Driver: 'default', Config: [{ Subnet: '10.213.1.0/24', Gateway: '10.213.1.1' }] },
      Internal: false,
      Containers: {},
      Labels: { team: 'x' },
    });
    expect(mgr.inspect(Id.slice(0, 6)).Name).toBe('tnet-a');
    expect(existsSync(`/sys/class/net/br-${Id.slice(0, 12)}`)).toBe(true);
    expect(mgr.list().map((x) => x.Name)).toEqual(['bridge', 'host', 'none', 'tnet-a']);
    expect(mgr.list({ type: ['custom'] }).map((x) => x.Name)).toEqual(['tnet-a']);
    expect(mgr.list({ label: ['team=x'] }).map((x) => x.Name)).toEqual(['tnet-a']);
    expect(mgr.inspect('bridge').Options['com.docker.network.bridge.name']).toBe(DEFAULT_BRIDGE);
    await expect(mgr.create({ Name: 'tnet-a' })).rejects.toThrow('network with name tnet-a already exists');
    await expect(mgr.create({ Name: 'tnet-o', IPAM: { Config: [{ Subnet: '10.213.1.128/25' }] } })).rejects.toThrow(
      'Pool overlaps with other one on this address space',
    );
    await expect(mgr.create({ Name: 'h2', Driver: 'host' })).rejects.toThrow(
      'only one instance of "host" network is allowed',
    );
    await expect(mgr.remove('bridge')).rejects.toThrow('bridge is a pre-defined network and cannot be removed');
    expect(() => mgr.inspect('nope')).toThrow('network nope not found');
    // Without --subnet a free pool is picked.
    await mgr.create({ Name: 'tnet-auto' });
    expect(mgr.inspect('tnet-auto').IPAM.Config[0]?.Subnet).toBe('10.213.200.0/24');
    await mgr.remove('tnet-auto');
    // Per-network rules: masquerade for the subnet, FORWARD accepts for the bridge.
    const br = `br-${Id.slice(0, 12)}`;
    expect(execFileSync('iptables', ['-w', '-t', 'nat', '-S', 'BERTH-POSTROUTING']).toString()).toContain(
      `-s 10.213.1.0/24 ! -o ${br} -j MASQUERADE`,
    );
    expect(execFileSync('iptables', ['-w', '-S', 'BERTH-FORWARD']).toString()).toContain(
      `-i ${br} ! -o ${br} -j ACCEPT`,
    );
    await mgr.create({ Name: 'tnet-int', Internal: true, IPAM: { Config: [{ Subnet: '10.213.3.0/24' }] } });
    const intBr = mgr.find('tnet-int').bridge!;
    expect(execFileSync('iptables', ['-w', '-S', 'BERTH-FORWARD']).toString()).toContain(
      `-i ${intBr} ! -o ${intBr} -j DROP`,
    );
    expect(execFileSync('iptables', ['-w', '-t', 'nat', '-S']).toString()).not.toContain('10.213.3.0/24');
    await mgr.remove('tnet-int');
    expect(execFileSync('iptables', ['-w', '-S', 'BERTH-FORWARD']).toString()).not.toContain(intBr);
  });

  it('gives containers addresses, lets them reach and resolve each other by name and alias', async () => {
    const a = newId();
    const b = newId();
    const sa = await startContainer(a, 'alpha', {
      networkMode: 'tnet-a',
      endpointsConfig: { 'tnet-a': { Aliases: ['db'] } },
    });
    await startContainer(b, 'beta', { networkMode: 'tnet-a' });
    expect(sa.netnsPath).toBe(`/run/netns/${netnsName(a)}`);
    expect(sa.mounts.map((m) => m.destination)).toEqual(['/etc/hostname', '/etc/hosts', '/etc/resolv.conf']);
    const ipA = ipOf(a)!;
    const ipB = ipOf(b)!;
    expect(ipA).toMatch(/^10\.213\.1\.\d+$/);
    expect(nsExec(a, 'ip', 'link', 'show', 'lo')).toContain('UP');
    expect(nsExec(b, 'busybox', 'ping', '-c', '1', '-W', '3', ipA)).toContain('1 packets received');

    const lookup = (name: string) => nsExecAsync(b, 'busybox', 'nslookup', '-type=a', name, '10.213.1.1');
    expect(await lookup('alpha')).toContain(`Address: ${ipA}`);
    expect(await lookup('db')).toContain(`Address: ${ipA}`);
    expect(await lookup(a.slice(0, 12))).toContain(`Address: ${ipA}`);
    expect(await lookup('alpha.tnet-a')).toContain(`Address: ${ipA}`);
    expect(await lookup('beta')).toContain(`Address: ${ipB}`);
    expect(await lookup('example.org')).toContain('Address: 192.0.2.77');
    await expect(lookup('nosuchname.invalid')).rejects.toMatchObject({ stdout: expect.stringContaining('NXDOMAIN') });

    const files = join(root, 'c', a);
    expect(await readFile(join(files, 'resolv.conf'), 'utf8')).toBe(
      'search corp.test\nnameserver 10.213.1.1\noptions ndots:0\n',
    );
    expect(await readFile(join(files, 'hosts'), 'utf8')).toMatch(
      new RegExp(`\n${ipA.replace(/\./g, '\\.')}\t${a.slice(0, 12)}\n$`),
    );
    expect(await readFile(join(files, 'hostname'), 'utf8')).toBe(`${a.slice(0, 12)}\n`);

    const net = mgr.inspect('tnet-a');
    expect(net.Containers[a]).toMatchObject({ Name: 'alpha', IPv4Address: `${ipA}/24`, IPv6Address: '' });
    expect(net.Containers[a]?.MacAddress).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
    const s = mgr.containers.settings(a);
    expect(s.Networks['tnet-a']).toMatchObject({
      IPAddress: ipA,
      IPPrefixLen: 24,
      Gateway: '10.213.1.1',
      Aliases: ['db', a.slice(0, 12)],
    });
    expect(s.IPAddress).toBe(''); // top-level fields are the default bridge's only

    const err = await mgr.remove('tnet-a').catch((e: unknown) => e);
    expect(isEngineError(err, 'FORBIDDEN')).toBe(true);
    expect((err as Error).message).toContain('has active endpoints');

    // Live connect / disconnect adds and removes eth1.
    await mgr.create({ Name: 'tnet-b', IPAM: { Config: [{ Subnet: '10.213.2.0/24', Gateway: '10.213.2.254' }] } });
    await mgr.containers.connect('tnet-b', a, { IPAMConfig: { IPv4Address: '10.213.2.50' } });
    expect(ipOf(a, 'eth1')).toBe('10.213.2.50');
    await expect(mgr.containers.connect('tnet-b', a)).rejects.toThrow(
      'endpoint with name alpha already exists in network tnet-b',
    );
    await mgr.containers.disconnect('tnet-b', a);
    expect(() => nsExec(a, 'ip', 'link', 'show', 'eth1')).toThrow();
    await mgr.remove('tnet-b');

    await mgr.containers.stop(a);
    await mgr.containers.stop(b);
    expect(existsSync(`/run/netns/${netnsName(a)}`)).toBe(false);
    expect(mgr.inspect('tnet-a').Containers).toEqual({});
    expect(mgr.containers.settings(a).Networks['tnet-a']).toMatchObject({ IPAddress: '', EndpointID: '' });
    await mgr.containers.remove(a);
    await mgr.containers.remove(b);
    const bridge = mgr.find('tnet-a').bridge!;
    await mgr.remove('tnet-a');
    expect(existsSync(`/sys/class/net/${bridge}`)).toBe(false);
  });

  it('refuses aliases and static IPs where Docker does', async () => {
    await expect(
      mgr.containers.create(newId(), { name: 'x', hostname: 'x', endpointsConfig: { bridge: { Aliases: ['y'] } } }),
    ).rejects.toThrow('network-scoped alias is supported only for containers in user defined networks');
    await mgr.create({ Name: 'tnet-auto2' });
    await expect(
      mgr.containers.create(newId(), {
        name: 'x',
        hostname: 'x',
        networkMode: 'tnet-auto2',
        endpointsConfig: { 'tnet-auto2': { IPAMConfig: { IPv4Address: '10.213.200.9' } } },
      }),
    ).rejects.toThrow(
      'user specified IP address is supported only when connecting to networks with user configured subnets',
    );
    await mgr.remove('tnet-auto2');
    await expect(mgr.containers.create(newId(), { name: 'x', hostname: 'x', networkMode: 'ghost' })).rejects.toThrow(
      'network ghost not found',
    );
  });
});

describe('default bridge and published ports', () => {
  it('publishes a port on loopback, serves it, and releases it on stop', async () => {
    const id = newId();
    const www = join(root, 'www');
    await mkdir(www, { recursive: true });
    await writeFile(join(www, 'index.html'), 'hello from the namespace\n');
    await startContainer(id, 'web', {
      exposedPorts: { '80/tcp': {}, '9999/udp': {} },
      hostConfig: {
        PortBindings: {
          '80/tcp': [
            { HostIp: '', HostPort: '' },
            { HostIp: '127.0.0.1', HostPort: '' },
          ],
        },
      },
    });
    const s = mgr.containers.settings(id);
    const ip = ipOf(id)!;
    expect(s.IPAddress).toBe(ip);
    expect(s.Networks.bridge).toMatchObject({ IPAddress: ip, Gateway: '10.213.0.1', Aliases: null });
    expect(s.Ports['9999/udp']).toBeNull();
    // 0.0.0.0: iptables DNAT (CNI portmap) plus the proxy holding the port; 127.0.0.1: the proxy alone.
    const anyPort = s.Ports['80/tcp']?.[0]?.HostPort;
    const loPort = s.Ports['80/tcp']?.[1]?.HostPort;
    expect(s.Ports['80/tcp']).toEqual([
      { HostIp: '0.0.0.0', HostPort: anyPort },
      { HostIp: '127.0.0.1', HostPort: loPort },
    ]);
    expect(await readFile(join(root, 'c', id, 'resolv.conf'), 'utf8')).toBe('search corp.test\nnameserver 10.1.1.1\n');

    const httpd = spawn('ip', ['netns', 'exec', netnsName(id), 'busybox', 'httpd', '-f', '-p', '80', '-h', www], {
      stdio: 'ignore',
    });
    children.push(httpd);
    const get = async (port: string | undefined) => {
      let body = '';
      for (let i = 0; i < 50 && !body; i++) {
        body = await fetch(`http://127.0.0.1:${port}/`)
          .then((r) => r.text())
          .catch(() => '');
        if (!body) await new Promise((r) => setTimeout(r, 100));
      }
      return body;
    };
    expect(await get(anyPort)).toBe('hello from the namespace\n');
    expect(await get(loPort)).toBe('hello from the namespace\n');
    const dnat = execFileSync('iptables', ['-w', '-t', 'nat', '-S']).toString();
    expect(dnat).toContain(`--dport ${anyPort} -j DNAT --to-destination ${ip}:80`);
    expect(dnat).not.toContain(`--dport ${loPort} `);

    httpd.kill('SIGKILL');
    await mgr.containers.stop(id);
    for (const port of [anyPort, loPort]) {
      await expect(fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2000) })).rejects.toThrow();
    }
    const nat = execFileSync('iptables', ['-w', '-t', 'nat', '-S']).toString();
    expect(nat).not.toContain(ip);
    expect(execFileSync('iptables', ['-w', '-S']).toString()).not.toContain(ip);
    expect(mgr.containers.settings(id).Ports).toEqual({});
    await mgr.containers.remove(id);
  });
});

describe('host, none and container network modes', () => {
  it('host: no namespace and the host files; none: loopback only; container: shares a namespace', async () => {
    const h = newId();
    const host = await startContainer(h, 'h', { networkMode: 'host' });
    expect(host.netnsPath).toBeNull();
    expect(await readFile(join(root, 'c', h, 'hosts'), 'utf8')).toBe(await readFile('/etc/hosts', 'utf8'));
    expect(Object.keys(mgr.containers.settings(h).Networks)).toEqual(['host']);

    const n = newId();
    const none = await startContainer(n, 'n', { networkMode: 'none' });
    const links = JSON.parse(nsExec(n, 'ip', '-j', 'link')) as { ifname: string }[];
    expect(links.map((l) => l.ifname)).toEqual(['lo']);
    expect((await readFile(join(root, 'c', n, 'hosts'), 'utf8')).split('\n').length).toBe(7);

    const c = newId();
    const joined = await startContainer(c, 'c', { networkMode: `container:${n}` });
    expect(joined.netnsPath).toBe(none.netnsPath);
    expect(joined.mounts[1]?.source).toBe(join(root, 'c', n, 'hosts'));
    await expect(mgr.containers.connect('bridge', c)).rejects.toThrow('cannot be connected to any other network');
    await mgr.containers.remove(c);
    await mgr.containers.remove(n);
    await mgr.containers.remove(h);
    expect(existsSync(none.netnsPath!)).toBe(false);
  });
});

describe('daemon restart', () => {
  it('keeps running containers networked: DNS names and published ports come back', async () => {
    await mgr.create({ Name: 'tnet-r', IPAM: { Config: [{ Subnet: '10.213.9.0/24' }] } });
    const id = newId();
    const client = newId();
    await startContainer(id, 'survivor', {
      networkMode: 'tnet-r',
      hostConfig: { PortBindings: { '7070/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } },
    });
    await startContainer(client, 'client', { networkMode: 'tnet-r' });
    const port = mgr.containers.settings(id).Ports['7070/tcp']?.[0]?.HostPort;
    await mgr.close();
    mgr = new NetworkManager(mgr.opts);
    await mgr.init();
    expect(mgr.containers.settings(id).Ports['7070/tcp']).toEqual([{ HostIp: '127.0.0.1', HostPort: port }]);
    const lookup = await nsExecAsync(client, 'busybox', 'nslookup', '-type=a', 'survivor', '10.213.9.1');
    expect(lookup).toContain(`Address: ${ipOf(id)}`);
    // The port is held again: a second holder cannot take it.
    const { openTcpProxy } = await import('../../src/network/proxy.js');
    await expect(openTcpProxy('127.0.0.1', Number(port))).rejects.toThrow('port is already allocated');
    await mgr.containers.remove(id);
    await mgr.containers.remove(client);
    await mgr.remove('tnet-r');
  });
});
