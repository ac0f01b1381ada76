import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultBridgeName } from '../../src/daemon/network.js';
import type { TestDaemon } from '../support/berthd.js';
import { abandon, daemonWithBusybox, until } from './helpers.js';

// Networking through the stock docker CLI: user networks with DNS, published ports on loopback,
// the network modes, and a host left clean afterwards. Traffic stays on loopback and inside the
// namespaces and bridges this daemon makes.
let d: TestDaemon;
const HTTPD = ['httpd', '-f', '-p', '80', '-h', '/var/www'];
const PAGE = '<h1>Hello from Berth</h1>';
const ids: string[] = [];
let userBridge = '';
let userSubnet = '';

beforeAll(async () => {
  d = await daemonWithBusybox();
});
afterAll(() => d.cleanup());

const curl = (port: string) => spawnSync('curl', ['-s', '-m', '5', `http://127.0.0.1:${port}/`]);
const iptables = () =>
  execFileSync('iptables', ['-w', '-S']).toString() + execFileSync('iptables', ['-w', '-t', 'nat', '-S']).toString();
const run = (args: string[]) => {
  const id = d.ok(['run', '-d', ...args]);
  ids.push(id);
  return id;
};
/** `docker run -d` returns before httpd listens: a loaded machine may take seconds more. */
const served = (container: string) =>
  until(
    `httpd in ${container}`,
    () => d.docker(['exec', container, 'wget', '-qO-', 'http://127.0.0.1/']).stdout.trim() === PAGE,
    60_000,
  );

// Each test runs a dozen docker commands, which take seconds each on a loaded 2-core machine.
describe('networking', { timeout: 300_000 }, () => {
  it('a container fetches from another by name (and alias) on a user network', async () => {
    d.ok(['network', 'create', 'appnet']);
    const net = JSON.parse(d.ok(['network', 'inspect', 'appnet']))[0] as {
      Id: string;
      IPAM: { Config: { Subnet: string }[] };
      Options: Record<string, string>;
    };
    userBridge = `br-${net.Id.slice(0, 12)}`;
    userSubnet = net.IPAM.Config[0]?.Subnet ?? '';
    expect(existsSync(`/sys/class/net/${userBridge}`)).toBe(true);
    // The bridge has an address of its own (NET_ADDR_SET): one borrowed from its lowest port
    // would change as containers come and go, and their ARP entries for the gateway go stale.
    for (const br of [userBridge, defaultBridgeName(join(d.root, 'data'))])
      expect(readFileSync(`/sys/class/net/${br}/addr_assign_type`, 'utf8').trim()).toBe('3');

    run(['--name', 'web', '--network', 'appnet', '--network-alias', 'site', 'bb', ...HTTPD]);
    await served('web');
    expect(d.ok(['run', '--rm', '--network', 'appnet', 'bb', 'wget', '-qO-', 'http://web/'])).toBe(PAGE);
    expect(d.ok(['run', '--rm', '--network', 'appnet', 'bb', 'wget', '-qO-', 'http://site/'])).toBe(PAGE);

    const ip = d.ok(['inspect', '-f', '{{.NetworkSettings.Networks.appnet.IPAddress}}', 'web']);
    expect(ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    const members = d.ok([
      'network',
      'inspect',
      '-f',
      '{{range .Containers}}{{.Name}} {{.IPv4Address}}{{end}}',
      'appnet',
    ]);
    expect(members).toMatch(new RegExp(`^web ${ip.replace(/\./g, '\\.')}/\\d+$`));
    // The default bridge has no DNS for names, as with dockerd (--dns: the question stays on the host).
    const other = d.docker(['run', '--rm', '--dns', '127.0.0.1', 'bb', 'wget', '-qO-', 'http://web/']);
    expect(other.stderr).toContain("bad address 'web'");
  });

  it('network connect, rename and disconnect on a running container (a second interface)', () => {
    const id = run(['--name', 'lonely', 'bb', 'sleep', '600']);
    const links = () =>
      d
        .ok(['exec', id, 'sh', '-c', 'ip -o link | cut -d: -f2 | cut -d@ -f1'])
        .split('\n')
        .map((l) => l.trim());
    expect(links()).toEqual(['lo', 'eth0']);
    d.ok(['network', 'connect', 'appnet', 'lonely']);
    expect(links()).toEqual(['lo', 'eth0', 'eth1']);
    const ip = d.ok(['inspect', '-f', '{{.NetworkSettings.Networks.appnet.IPAddress}}', id]);
    expect(d.ok(['exec', id, 'ip', '-o', '-4', 'addr', 'show', 'eth1'])).toContain(`inet ${ip}/`);
    const webIp = d.ok(['inspect', '-f', '{{.NetworkSettings.Networks.appnet.IPAddress}}', 'web']);
    expect(d.ok(['exec', id, 'wget', '-qO-', `http://${webIp}/`])).toBe(PAGE);
    expect(d.ok(['inspect', '-f', '{{len .NetworkSettings.Networks}}', id])).toBe('2');
    // A rename reaches the network side: network inspect and the network's DNS know the new name.
    d.ok(['rename', 'lonely', 'loner']);
    expect(d.ok(['network', 'inspect', '-f', '{{range .Containers}}{{.Name}} {{end}}', 'appnet'])).toContain('loner');
    expect(d.ok(['exec', 'web', 'nslookup', 'loner'])).toContain(ip);
    d.ok(['network', 'disconnect', 'appnet', 'loner']);
    expect(d.ok(['inspect', '-f', '{{len .NetworkSettings.Networks}}', id])).toBe('1');
    expect(links()).toEqual(['lo', 'eth0']);
  });

  it('a published port answers on 127.0.0.1 from the host, shows in docker port and ps, and stops with the container', async () => {
    run(['--name', 'pub', '-p', '127.0.0.1::80', 'bb', ...HTTPD]);
    await served('pub');
    const binding = d.ok(['port', 'pub', '80']);
    expect(binding).toMatch(/^127\.0\.0\.1:\d+$/);
    const port = binding.split(':')[1] ?? '';
    expect(d.ok(['port', 'pub'])).toBe(`80/tcp -> ${binding}`);
    expect(d.ok(['ps', '--filter', 'name=pub', '--format', '{{.Ports}}'])).toBe(`${binding}->80/tcp`);
    const page = curl(port);
    expect(page.status).toBe(0);
    expect(page.stdout.toString()).toBe(`${PAGE}\n`);

    d.ok(['stop', '-t', '1', 'pub']);
    expect(curl(port).status).not.toBe(0);
    expect(d.ok(['port', 'pub'])).toBe('');

    d.ok(['start', 'pub']);
    await served('pub');
    const again = d.ok(['port', 'pub', '80']).split(':')[1] ?? '';
    expect(curl(again).stdout.toString()).toBe(`${PAGE}\n`);
  });

  it('a start refused for a taken port leaves no namespace behind', () => {
    const port = d.ok(['port', 'pub', '80']).split(':')[1] ?? '';
    const id = d.ok(['create', '-p', `127.0.0.1:${port}:80`, 'bb', ...HTTPD]);
    ids.push(id);
    const refused = d.docker(['start', id]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(`127.0.0.1:${port} failed: port is already allocated`);
    expect(existsSync(`/run/netns/berth-${id.slice(0, 12)}`)).toBe(false);
    // Not running, no address (ok() trims the empty address away).
    expect(d.ok(['inspect', '-f', '{{.State.Running}} {{.NetworkSettings.Networks.bridge.IPAddress}}', id])).toBe(
      'false',
    );
  });

  it('host, none and container: network modes', () => {
    const hostLinks = execFileSync('ip', ['-o', 'link']).toString().split('\n').filter(Boolean).length;
    const inHost = d.ok(['run', '--rm', '--network', 'host', 'bb', 'sh', '-c', 'ip -o link | wc -l']);
    expect(Number(inHost)).toBeGreaterThanOrEqual(hostLinks - 2); // veths may come and go meanwhile
    expect(d.ok(['run', '--rm', '--network', 'none', 'bb', 'sh', '-c', 'ip -o link | cut -d: -f2'])).toBe('lo');
    const webIp = d.ok(['inspect', '-f', '{{.NetworkSettings.Networks.appnet.IPAddress}}', 'web']);
    const shared = d.ok(['run', '--rm', '--network', 'container:web', 'bb', 'sh', '-c', 'ip -o -4 addr show eth0']);
    expect(shared).toContain(`inet ${webIp}/`);
    expect(d.ok(['run', '--rm', '--network', 'container:web', 'bb', 'wget', '-qO-', 'http://127.0.0.1/'])).toBe(PAGE);
  });

  it('survives a berthd restart; the next engine removes what one whose data root was deleted left', async () => {
    const gone = await daemonWithBusybox();
    const id = gone.ok(['run', '-d', 'bb', 'sleep', '600']);
    const pid = Number(gone.ok(['inspect', '-f', '{{.State.Pid}}', id]));
    const bridge = defaultBridgeName(join(gone.root, 'data'));
    await gone.kill('SIGKILL');
    process.kill(pid, 'SIGKILL');
    abandon(gone); // its data root is gone; its networking stayed up for a restart that never comes
    expect(existsSync(`/sys/class/net/${bridge}`)).toBe(true);
    expect(existsSync(`/run/netns/berth-${id.slice(0, 12)}`)).toBe(true);

    const port = d.ok(['port', 'pub', '80']).split(':')[1] ?? '';
    await d.kill('SIGTERM');
    await d.start();
    await served('web');
    expect(existsSync(`/sys/class/net/${bridge}`)).toBe(false);
    expect(existsSync(`/run/netns/berth-${id.slice(0, 12)}`)).toBe(false);
    expect(iptables()).not.toContain(bridge);
    // This engine's own containers kept their networking: names, and the published port.
    expect(d.ok(['run', '--rm', '--network', 'appnet', 'bb', 'wget', '-qO-', 'http://web/'])).toBe(PAGE);
    expect(curl(port).stdout.toString()).toBe(`${PAGE}\n`);
  });

  it('leaves nothing behind: containers and networks removed, then berthd stopped', async () => {
    const defaultBridge = defaultBridgeName(join(d.root, 'data'));
    expect(existsSync(`/sys/class/net/${defaultBridge}`)).toBe(true);
    d.ok(['rm', '-f', ...ids]);
    d.ok(['network', 'rm', 'appnet']);
    expect(existsSync(`/sys/class/net/${userBridge}`)).toBe(false);
    for (const id of ids) expect(existsSync(`/run/netns/berth-${id.slice(0, 12)}`)).toBe(false);
    const rules = iptables();
    expect(rules).not.toContain(userBridge);
    expect(rules).not.toContain(userSubnet);

    await d.kill('SIGTERM');
    expect(existsSync(`/sys/class/net/${defaultBridge}`)).toBe(false);
    expect(iptables()).not.toContain(defaultBridge);
  });
});
