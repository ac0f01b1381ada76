import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket from 'dns-packet';

/**
 * A network's DNS server, as Docker's embedded DNS: answers A (and PTR) records for the
 * containers on that network by name, alias and short ID, and forwards every other question
 * to upstream resolvers. berthd binds one per user-defined network on the bridge's gateway
 * address (UDP and TCP 53), which is the `nameserver` in those containers' resolv.conf.
 */

export interface DnsResolver {
  /**
   * IPv4 addresses for a name as the asking container sees it (on every network it shares with
   * this one's), or undefined when the name is not a container there.
   */
  lookup(name: string, clientIp: string): string[] | undefined;
  /** A container name for a reverse lookup of an address the asking container can see. */
  reverse(ip: string, clientIp: string): string | undefined;
  /** Upstream servers for a client (its --dns, else the host's). */
  upstreams(clientIp: string): string[];
}

export interface DnsServerOptions {
  address: string;
  port?: number;
  resolver: DnsResolver;
  /** Per-upstream timeout for forwarded questions. */
  timeoutMs?: number;
}

/** Docker's embedded DNS answers with a 600 s TTL. */
const TTL = 600;
const RCODE_SERVFAIL = 2;
const RCODE_NXDOMAIN = 3;

export class DnsServer {
  private udp?: dgram.Socket;
  private tcp?: net.Server;
  private readonly sockets = new Set<net.Socket>();

  constructor(private readonly opts: DnsServerOptions) {}

  get address(): string {
    return this.opts.address;
  }

  async start(): Promise<void> {
    const port = this.opts.port ?? 53;
    // No SO_REUSEADDR: a second engine binding the same gateway address (a clash of subnets)
    // must fail here, not silently take this network's questions.
    const udp = dgram.createSocket({ type: 'udp4' });
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(port, this.opts.address, () => {
        udp.off('error', reject);
        resolve();
      });
    });
    udp.on('error', () => undefined);
    udp.on('message', (msg, rinfo) => {
      void this.answer(msg, rinfo.address, 'udp').then((reply) => {
        if (reply) udp.send(reply, rinfo.port, rinfo.address);
      });
    });
    this.udp = udp;
    const tcp = net.createServer((sock) => this.serveTcp(sock));
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(port, this.opts.address, () => {
        tcp.off('error', reject);
        resolve();
      });
    });
    this.tcp = tcp;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.udp ? this.udp.close(() => resolve()) : resolve()));
    await new Promise<void>((resolve) => (this.tcp ? this.tcp.close(() => resolve()) : resolve()));
    this.udp = undefined;
    this.tcp = undefined;
  }

  private serveTcp(sock: net.Socket): void {
    this.sockets.add(sock);
    sock.on('close', () => this.sockets.delete(sock));
    sock.on('error', () => undefined);
    sock.setTimeout(10_000, () => sock.destroy());
    let buf = Buffer.alloc(0);
    sock.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const len = buf.readUInt16BE(0);
        const msg = buf.subarray(2, 2 + len);
        buf = buf.subarray(2 + len);
        void this.answer(msg, sock.remoteAddress ?? '', 'tcp').then((reply) => {
          if (!reply || sock.destroyed) return;
          const head = Buffer.alloc(2);
          head.writeUInt16BE(reply.length);
          sock.write(Buffer.concat([head, reply]));
        });
      }
    });
  }

  /** Answer one query: ours from the container table, anything else from upstream. */
  async answer(msg: Buffer, clientIp: string, proto: 'udp' | 'tcp'): Promise<Buffer | undefined> {
    let query: dnsPacket.DecodedPacket;
    try {
      query = dnsPacket.decode(msg);
    } catch {
      return undefined;
    }
    if (query.type !== 'query') return undefined;
    const q = query.questions?.[0];
    if (!q) return undefined;
    const name = q.name.replace(/\.$/, '').toLowerCase();
    const reply = (answers: dnsPacket.Answer[], rcode = 0) =>
      dnsPacket.encode({
        type: 'response',
        id: query.id,
        flags: ((query.flags ?? 0) & dnsPacket.RECURSION_DESIRED) | dnsPacket.RECURSION_AVAILABLE | rcode,
        questions: [q],
        answers,
      });
    if (q.class === 'IN' && (q.type === 'A' || q.type === 'AAAA' || (q.type as string) === 'ANY')) {
      const ips = this.opts.resolver.lookup(name, clientIp);
      if (ips) {
        // IPv4-only networks: AAAA for a known name is an empty NOERROR answer, as Docker gives.
        const answers: dnsPacket.Answer[] =
          q.type === 'AAAA' ? [] : ips.map((ip) => ({ type: 'A', class: 'IN', name: q.name, ttl: TTL, data: ip }));
        return reply(answers);
      }
    }
    if (q.class === 'IN' && q.type === 'PTR') {
      const ip = ptrToIp(name);
      const host = ip && this.opts.resolver.reverse(ip, clientIp);
      if (host) return reply([{ type: 'PTR', class: 'IN', name: q.name, ttl: TTL, data: host }]);
    }
    const upstreams = this.opts.resolver.upstreams(clientIp);
    for (const server of upstreams) {
      const res = await (proto === 'udp' ? forwardUdp : forwardTcp)(msg, server, this.opts.timeoutMs ?? 2000).catch(
        () => undefined,
      );
      if (res) return res;
    }
    return reply([], upstreams.length === 0 ? RCODE_NXDOMAIN : RCODE_SERVFAIL);
  }
}

function ptrToIp(name: string): string | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\.in-addr\.arpa$/.exec(name);
  return m ? `${m[4]}.${m[3]}.${m[2]}.${m[1]}` : undefined;
}

/** `host` or `host:port`. */
function splitServer(server: string): { host: string; port: number } {
  const m = /^([\d.]+):(\d+)$/.exec(server);
  return m ? { host: m[1]!, port: Number(m[2]) } : { host: server, port: 53 };
}

function forwardUdp(msg: Buffer, server: string, timeoutMs: number): Promise<Buffer> {
  const { host, port } = splitServer(server);
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
    let finished = false;
    const done = (err?: Error, data?: Buffer) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      sock.close();
      if (err || !data) reject(err ?? new Error('no answer'));
      else resolve(data);
    };
    const timer = setTimeout(() => done(new Error('timeout')), timeoutMs);
    sock.on('error', (e) => done(e));
    sock.on('message', (data) => {
      if (data.length >= 2 && data.readUInt16BE(0) === msg.readUInt16BE(0)) done(undefined, data);
    });
    // Connected, so a server that is not there (ICMP port unreachable) fails at once, not at the timeout.
    sock.connect(port, host, () => sock.send(msg));
  });
}

function forwardTcp(msg: Buffer, server: string, timeoutMs: number): Promise<Buffer> {
  const { host, port } = splitServer(server);
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host, port });
    let buf = Buffer.alloc(0);
    sock.setTimeout(timeoutMs, () => sock.destroy(new Error('timeout')));
    sock.on('error', reject);
    sock.on('connect', () => {
      const head = Buffer.alloc(2);
      head.writeUInt16BE(msg.length);
      sock.write(Buffer.concat([head, msg]));
    });
    sock.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        sock.end();
        resolve(buf.subarray(2, 2 + buf.readUInt16BE(0)));
      }
    });
    sock.on('close', () => reject(new Error('closed')));
  });
}
