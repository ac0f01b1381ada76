import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestDaemon } from '../support/berthd.js';
import { daemonWithBusybox, until } from './helpers.js';

// Two user networks side by side, as Docker keeps them: containers reach and resolve each other
// only over a network they share; `docker network connect/disconnect` on a running container
// updates its /etc/hosts, resolv.conf and what it can resolve. Every container asks 127.0.0.1
// (nothing listens there) for names that are not containers, so no query leaves the host.
let d: TestDaemon;
const HTTPD = ['httpd', '-f', '-p', '80', '-h', '/var/www'];
const PAGE = '<h1>Hello from Berth</h1>';
const NO_UPSTREAM = ['--dns', '127.0.0.1'];
const nets: Record<string, { gateway: string }> = {};

beforeAll(async () => {
  d = await daemonWithBusybox();
  // Subnets of their own: other engines on this shared machine take pools from the default
  // list, and a second bridge with the same subnet would steer replies away from ours.
  const base = 240 + Math.floor(Math.random() * 14);
  for (const [i, name] of ['red', 'blue'].entries()) {
    d.ok(['network', 'create', '--subnet', `10.${base}.${i + 1}.0/24`, name]);
    nets[name] = { gateway: d.ok(['network', 'inspect', '-f', '{{(index .IPAM.Config 0).Gateway}}', name]) };
  }
  d.ok(['run', '-d', '--name', 'r1', '--network', 'red', '--network-alias', 'rweb', ...NO_UPSTREAM, 'bb', ...HTTPD]);
  d.ok(['run', '-d', '--name', 'b1', '--network', 'blue', '--network-alias', 'bweb', ...NO_UPSTREAM, 'bb', ...HTTPD]);
  for (const c of ['r1', 'b1']) await until(`httpd in ${c}`, () => fetch(c, 'http://127.0.0.1/') === PAGE, 60_000);
}, 300_000);
afterAll(() => d.cleanup());

const ipOn = (container: string, net: string) =>
  d.ok(['inspect', '-f', `{{.NetworkSettings.Networks.${net}.IPAddress}}`, container]);
/** The page as `container` fetches it ('' when it cannot). */
const fetch = (container: string, url: string) => d.docker(['exec', container, 'wget', '-qO-', url]).stdout.trim();
/**
 * Whether `container`'s connection to `url` hangs until killed, as a DROP rule makes it (busybox
 * wget's own -T crashes, so timeout(1) stops it: status 143).
 */
const dropped = (container: string, url: string) =>
  d.docker(['exec', container, 'timeout', '3', 'wget', '-qO-', url]).code === 143;
/** `container` resolves `name` (asking `server`, default its own) to exactly `ips` (none: it cannot). */
const resolves = (container: string, name: string, ips: string[], server?: string) => {
  const r = d.docker(['exec', container, 'nslookup', '-type=a', name, ...(server ? [server] : [])]);
  // busybox prints the server first ("Server: … Address: gw:53"), then the answers.
  const answers = r.stdout
    .split(/\n\s*\n/)
    .slice(1)
    .join('\n');
  const got = [...answers.matchAll(/Address(?: \d+)?:\s*(\d+\.\d+\.\d+\.\d+)\b(?!:)/g)].map((m) => m[1]);
  expect(got, `${container}: nslookup ${name}\n${r.stdout}${r.stderr}`).toEqual(ips);
};
const cat = (container: string, file: string) => d.ok(['exec', container, 'cat', file]);

describe('user networks', { timeout: 300_000 }, () => {
  it('isolate their containers from each other and from the default bridge; a shared network connects', () => {
    d.ok(['run', '-d', '--name', 'rprobe', '--network', 'red', ...NO_UPSTREAM, 'bb', 'sleep', '600']);
    d.ok(['run', '-d', '--name', 'dprobe', ...NO_UPSTREAM, 'bb', 'sleep', '600']);
    const r1 = ipOn('r1', 'red');
    const b1 = ipOn('b1', 'blue');
    expect(fetch('rprobe', `http://${r1}/`)).toBe(PAGE);
    expect(dropped('rprobe', `http://${b1}/`)).toBe(true);
    expect(dropped('dprobe', `http://${r1}/`)).toBe(true);
    expect(dropped('dprobe', `http://${b1}/`)).toBe(true);
    // Nor the other way.
    expect(dropped('b1', `http://${r1}/`)).toBe(true);

    // On both networks: both answer.
    d.ok(['run', '-d', '--name', 'both', '--network', 'red', ...NO_UPSTREAM, 'bb', 'sleep', '600']);
    d.ok(['network', 'connect', 'blue', 'both']);
    expect(fetch('both', `http://${r1}/`)).toBe(PAGE);
    expect(fetch('both', `http://${b1}/`)).toBe(PAGE);
    // Sharing a container does not join the networks: rprobe still cannot reach blue.
    expect(dropped('rprobe', `http://${b1}/`)).toBe(true);
  });

  it('resolve names and aliases on every network a container shares, and not across others', () => {
    const r1 = ipOn('r1', 'red');
    const b1 = ipOn('b1', 'blue');
    resolves('rprobe', 'r1', [r1]);
    resolves('rprobe', 'rweb', [r1]);
    resolves('rprobe', 'b1', []);
    resolves('rprobe', 'bweb', []);
    resolves('rprobe', 'b1.blue', []);
    // Nor by asking blue's DNS server directly: it answers only its own network's containers.
    resolves('rprobe', 'b1', [], nets.blue!.gateway);
    // `both` is on red and blue: it sees the containers of both, by name and alias.
    resolves('both', 'r1', [r1]);
    resolves('both', 'rweb', [r1]);
    resolves('both', 'b1', [b1]);
    resolves('both', 'bweb', [b1]);
    resolves('both', 'b1.blue', [b1]);
    expect(fetch('both', 'http://bweb/')).toBe(PAGE);
    expect(fetch('both', 'http://r1/')).toBe(PAGE);
    // Each network knows `both` by its address there.
    resolves('b1', 'both', [ipOn('both', 'blue')]);
    resolves('r1', 'both', [ipOn('both', 'red')]);
    // The default bridge has no names.
    resolves('dprobe', 'r1', []);
  });

  it('network connect and disconnect update /etc/hosts, resolv.conf and name resolution', () => {
    const id = d.ok(['run', '-d', '--name', 'hopper', ...NO_UPSTREAM, 'bb', 'sleep', '600']);
    const hostname = id.slice(0, 12);
    const bridgeIp = ipOn('hopper', 'bridge');
    const hostsLines = () =>
      cat('hopper', '/etc/hosts')
        .split('\n')
        .filter((l) => l.endsWith(`\t${hostname}`));
    expect(hostsLines()).toEqual([`${bridgeIp}\t${hostname}`]);
    expect(cat('hopper', '/etc/resolv.conf')).toContain('nameserver 127.0.0.1');
    expect(d.docker(['exec', 'hopper', 'wget', '-qO-', 'http://r1/']).stderr).toContain("bad address 'r1'");

    d.ok(['network', 'connect', '--alias', 'hop', 'red', 'hopper']);
    const redIp = ipOn('hopper', 'red');
    expect(hostsLines()).toEqual([`${bridgeIp}\t${hostname}`, `${redIp}\t${hostname}`]);
    expect(cat('hopper', '/etc/resolv.conf')).toMatch(new RegExp(`^nameserver ${nets.red!.gateway}$`, 'm'));
    expect(fetch('hopper', 'http://r1/')).toBe(PAGE);
    resolves('hopper', 'rweb', [ipOn('r1', 'red')]);
    resolves('r1', 'hopper', [redIp]);
    resolves('r1', 'hop', [redIp]);

    d.ok(['network', 'connect', 'blue', 'hopper']);
    const blueIp = ipOn('hopper', 'blue');
    expect(hostsLines()).toEqual([`${bridgeIp}\t${hostname}`, `${redIp}\t${hostname}`, `${blueIp}\t${hostname}`]);
    expect(fetch('hopper', 'http://b1/')).toBe(PAGE);

    d.ok(['network', 'disconnect', 'red', 'hopper']);
    expect(hostsLines()).toEqual([`${bridgeIp}\t${hostname}`, `${blueIp}\t${hostname}`]);
    expect(cat('hopper', '/etc/resolv.conf')).toMatch(new RegExp(`^nameserver ${nets.blue!.gateway}$`, 'm'));
    resolves('hopper', 'r1', []);
    resolves('r1', 'hopper', []);
    expect(fetch('hopper', 'http://b1/')).toBe(PAGE);

    d.ok(['network', 'disconnect', 'blue', 'hopper']);
    expect(hostsLines()).toEqual([`${bridgeIp}\t${hostname}`]);
    const resolv = cat('hopper', '/etc/resolv.conf');
    expect(resolv).toContain('nameserver 127.0.0.1');
    expect(resolv).not.toContain(nets.blue!.gateway);
    resolves('b1', 'hopper', []);
  });
});
