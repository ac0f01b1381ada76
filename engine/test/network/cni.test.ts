import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteBridge } from '../../src/network/bridge.js';
import { CNI_VERSION, Cni, CniError, type NetworkConfList } from '../../src/network/cni.js';
import { LOOPBACK } from '../../src/network/endpoint.js';
import { cleanupCniChains } from '../../src/network/iptables.js';
import { createNetns, deleteNetns } from '../../src/network/netns.js';

// A bridge and namespace of this file's own on 10.213.50.0/24; nothing else is touched.
const tag = randomBytes(3).toString('hex');
const bridge = `btc${tag}`;
const ns = `berth-cnitest-${tag}`;
let ipamDir: string;
let nsPath: string;
const cni = new Cni();

const conf = (): NetworkConfList => ({
  cniVersion: CNI_VERSION,
  name: `berth-cnitest-${tag}`,
  plugins: [
    {
      type: 'bridge',
      bridge,
      isGateway: true,
      ipMasq: true,
      ipam: {
        type: 'host-local',
        ranges: [[{ subnet: '10.213.50.0/24' }]],
        routes: [{ dst: '0.0.0.0/0' }],
        dataDir: ipamDir,
      },
    },
    { type: 'firewall', backend: 'iptables' },
  ],
});

beforeAll(async () => {
  ipamDir = await mkdtemp(join(tmpdir(), 'berth-ipam-'));
  nsPath = await createNetns(ns);
});
afterAll(async () => {
  await deleteNetns(ns);
  await deleteBridge(bridge);
  await cleanupCniChains();
  await rm(ipamDir, { recursive: true, force: true });
});

describe('CNI runtime against the standard plugins', () => {
  it('ADDs a chain with prevResult, CHECKs it, and DEL releases everything', async () => {
    const att = { containerId: `cnitest${tag}`, netns: nsPath, ifname: 'eth0' };
    await cni.add(LOOPBACK, { ...att, ifname: 'lo' });
    const result = await cni.add(conf(), att);
    expect(result.cniVersion).toBe('1.0.0');
    expect(result.ips?.[0]).toMatchObject({ address: '10.213.50.2/24', gateway: '10.213.50.1' });
    const inside = execFileSync('ip', ['netns', 'exec', ns, 'ip', '-4', 'addr', 'show', 'eth0']).toString();
    expect(inside).toContain('inet 10.213.50.2/24');
    expect(execFileSync('ip', ['netns', 'exec', ns, 'ip', 'route']).toString()).toContain('default via 10.213.50.1');
    const hostVeth = result.interfaces?.find((i) => !i.sandbox && i.name !== bridge)?.name;
    expect(hostVeth && existsSync(`/sys/class/net/${hostVeth}`)).toBe(true);
    expect(execFileSync('iptables', ['-w', '-S', 'CNI-FORWARD']).toString()).toContain('10.213.50.2/32');
    await cni.check(conf(), att, result);

    await cni.del(conf(), att, result);
    expect(existsSync(`/sys/class/net/${hostVeth}`)).toBe(false);
    expect(execFileSync('ip', ['netns', 'exec', ns, 'ip', 'link']).toString()).not.toContain('eth0');
    const reserved = (await readdir(join(ipamDir, conf().name))).filter((f) => f.startsWith('10.'));
    expect(reserved).toEqual([]);
    expect(execFileSync('iptables', ['-w', '-S']).toString()).not.toContain('10.213.50.2');
    expect(execFileSync('iptables', ['-w', '-t', 'nat', '-S']).toString()).not.toContain('10.213.50.2');
    // DEL again (e.g. after a crash) is not an error.
    await cni.del(conf(), att, result);
  });

  it('surfaces a plugin error with its CNI code and message', async () => {
    const broken = conf();
    broken.plugins = [
      {
        type: 'bridge',
        bridge,
        ipam: { type: 'host-local', ranges: [[{ subnet: 'not-a-subnet' }]], dataDir: ipamDir },
      },
    ];
    const err = await cni.add(broken, { containerId: 'x', netns: nsPath, ifname: 'eth9' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CniError);
    expect((err as CniError).plugin).toBe('bridge');
    expect((err as Error).message).toMatch(/plugin type="bridge" failed \(code \d+\): .*not-a-subnet/);
    await expect(
      cni.add({ ...broken, plugins: [{ type: 'no-such-plugin' }] }, { containerId: 'x', netns: nsPath, ifname: 'e' }),
    ).rejects.toThrow('failed to find plugin "no-such-plugin"');
  });
});
