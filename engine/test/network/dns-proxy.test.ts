import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket from 'dns-packet';
import { afterEach, describe, expect, it } from 'vitest';
import { DnsServer } from '../../src/network/dns.js';
import { reservePorts } from '../../src/network/ports.js';
import { openTcpProxy, openUdpProxy } from '../../src/network/proxy.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** dns-packet's decoded reply; its typings omit rcode and the answers' data union. */
type Reply = Omit<dnsPacket.DecodedPacket, 'answers'> & {
  rcode: string;
  answers?: { type: string; name: string; ttl?: number; data: unknown }[];
};

function udpQuery(port: number, name: string, type: 'A' | 'AAAA' | 'PTR' | 'TXT' = 'A'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    const t = setTimeout(() => reject(new Error('dns timeout')), 3000);
    s.on('message', (m) => {
      clearTimeout(t);
      s.close();
      resolve(dnsPacket.decode(m) as Reply);
    });
    s.send(
      dnsPacket.encode({ type: 'query', id: 4242, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type, name }] }),
      port,
      '127.0.0.1',
    );
  });
}

function tcpQuery(port: number, name: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    let buf = Buffer.alloc(0);
    sock.on('error', reject);
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        sock.end();
        resolve(dnsPacket.decode(buf.subarray(2)) as Reply);
      }
    });
    sock.write(dnsPacket.streamEncode({ type: 'query', id: 7, questions: [{ type: 'A', name }] }));
  });
}

/** A stand-in upstream resolver on loopback that answers every A question with 192.0.2.77. */
async function fakeUpstream(): Promise<number> {
  const port = await freeUdpPort();
  const up = new DnsServer({
    address: '127.0.0.1',
    port,
    resolver: { lookup: () => ['192.0.2.77'], reverse: () => undefined, upstreams: () => [] },
  });
  await up.start();
  cleanups.push(() => up.stop());
  return port;
}

describe('network DNS server', () => {
  it('answers container names, aliases, name.network and PTR; forwards the rest over UDP and TCP', async () => {
    const upstreamPort = await fakeUpstream();
    const port = await freeUdpPort();
    const table: Record<string, string[]> = {
      web: ['10.9.0.2'],
      db: ['10.9.0.3'],
      'db.mynet': ['10.9.0.3'],
      cache: ['10.9.0.4', '10.9.0.5'],
    };
    const dns = new DnsServer({
      address: '127.0.0.1',
      port,
      resolver: {
        lookup: (n) => table[n],
        reverse: (ip) => (ip === '10.9.0.2' ? 'web.mynet' : undefined),
        upstreams: () => [`127.0.0.1:${upstreamPort}`],
      },
    });
    await dns.start();
    cleanups.push(() => dns.stop());

    const a = await udpQuery(port, 'WEB');
    expect(a.id).toBe(4242);
    expect(a.flag_qr && a.flag_rd && a.flag_ra).toBe(true);
    expect(a.answers).toMatchObject([{ type: 'A', name: 'WEB', data: '10.9.0.2', ttl: 600 }]);
    expect((await udpQuery(port, 'db.mynet.')).answers?.map((x) => x.data)).toEqual(['10.9.0.3']);
    expect((await udpQuery(port, 'cache')).answers?.map((x) => x.data)).toEqual(['10.9.0.4', '10.9.0.5']);
    const aaaa = await udpQuery(port, 'web', 'AAAA');
    expect([aaaa.rcode, aaaa.answers]).toEqual(['NOERROR', []]);
    expect((await udpQuery(port, '2.0.9.10.in-addr.arpa', 'PTR')).answers?.[0]?.data).toBe('web.mynet');
    // Not a container: the upstream answers.
    expect((await udpQuery(port, 'example.org')).answers?.[0]?.data).toBe('192.0.2.77');
    expect((await tcpQuery(port, 'web')).answers?.[0]?.data).toBe('10.9.0.2');
    expect((await tcpQuery(port, 'elsewhere.test')).answers?.[0]?.data).toBe('192.0.2.77');
  });

  it('answers SERVFAIL when no upstream answers', async () => {
    const dead = await freeUdpPort();
    const port = await freeUdpPort();
    const dns = new DnsServer({
      address: '127.0.0.1',
      port,
      timeoutMs: 200,
      resolver: { lookup: () => undefined, reverse: () => undefined, upstreams: () => [`127.0.0.1:${dead}`] },
    });
    await dns.start();
    cleanups.push(() => dns.stop());
    expect((await udpQuery(port, 'nowhere.test')).rcode).toBe('SERVFAIL');
  });
});

describe('userland port proxy', () => {
  it('relays TCP both ways with half-close, and reports a taken port as Docker does', async () => {
    const echo = net.createServer((s) => {
      const chunks: Buffer[] = [];
      s.on('data', (d) => chunks.push(d));
      s.on('end', () => s.end(`echo:${Buffer.concat(chunks).toString()}`));
    });
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', () => r()));
    cleanups.push(() => new Promise<void>((r) => echo.close(() => r())));
    const proxy = await openTcpProxy('127.0.0.1', 0);
    cleanups.push(() => proxy.close());
    proxy.setTarget('127.0.0.1', (echo.address() as net.AddressInfo).port);
    const reply = await new Promise<string>((resolve, reject) => {
      const c = net.connect({ host: '127.0.0.1', port: proxy.hostPort });
      let out = '';
      c.on('data', (d) => (out += d));
      c.on('end', () => resolve(out));
      c.on('error', reject);
      c.end('ping');
    });
    expect(reply).toBe('echo:ping');
    await expect(openTcpProxy('127.0.0.1', proxy.hostPort)).rejects.toThrow(
      `Bind for 127.0.0.1:${proxy.hostPort} failed: port is already allocated`,
    );
  });

  it('relays UDP datagrams and replies', async () => {
    const echo = dgram.createSocket('udp4');
    echo.on('message', (m, r) => echo.send(Buffer.concat([Buffer.from('re:'), m]), r.port, r.address));
    await new Promise<void>((r) => echo.bind(0, '127.0.0.1', () => r()));
    cleanups.push(() => new Promise<void>((r) => echo.close(() => r())));
    const proxy = await openUdpProxy('127.0.0.1', 0);
    cleanups.push(() => proxy.close());
    proxy.setTarget('127.0.0.1', echo.address().port);
    const client = dgram.createSocket('udp4');
    cleanups.push(() => new Promise<void>((r) => client.close(() => r())));
    const got = new Promise<string>((r) => client.once('message', (m) => r(m.toString())));
    client.send('hello', proxy.hostPort, '127.0.0.1');
    expect(await got).toBe('re:hello');
  });

  it('takes the first free port of a range and releases all on failure', async () => {
    const holder = await openTcpProxy('127.0.0.1', 0);
    cleanups.push(() => holder.close());
    const p = holder.hostPort;
    const { mappings, proxies } = await reservePorts([
      { containerPort: 80, protocol: 'tcp', hostIp: '127.0.0.1', hostPorts: [p, p + 1] },
    ]);
    cleanups.push(() => Promise.all(proxies.map((x) => x.close())).then(() => undefined));
    expect(mappings).toEqual([{ containerPort: 80, protocol: 'tcp', hostIp: '127.0.0.1', hostPort: p + 1 }]);
    const udpFree = await freeUdpPort();
    await expect(
      reservePorts([
        { containerPort: 53, protocol: 'udp', hostIp: '127.0.0.1', hostPorts: [udpFree, udpFree] },
        { containerPort: 81, protocol: 'tcp', hostIp: '127.0.0.1', hostPorts: [p, p] },
      ]),
    ).rejects.toThrow('port is already allocated');
    // The UDP port reserved before the failure was released again.
    const again = await openUdpProxy('127.0.0.1', udpFree);
    await again.close();
  });
});
