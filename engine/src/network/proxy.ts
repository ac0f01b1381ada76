import dgram from 'node:dgram';
import net from 'node:net';
import { EngineError } from '../errors.js';

/**
 * A published port's host side, as docker-proxy: it holds hostIp:hostPort (so the port is
 * reserved, and an ephemeral port is the kernel's pick) and relays whatever reaches it to the
 * container. With iptables DNAT in place (CNI portmap) the kernel steers most traffic past it;
 * without, it carries everything.
 */
export interface PortProxy {
  readonly protocol: 'tcp' | 'udp';
  readonly hostIp: string;
  readonly hostPort: number;
  /** Point the relay at the container (known only once the endpoint has an address). */
  setTarget(ip: string, port: number): void;
  close(): Promise<void>;
}

/** Docker's conntrack timeout for UDP "connections" in docker-proxy. */
const UDP_IDLE_MS = 90_000;

const allocated = (hostIp: string, port: number, proto: string) =>
  new EngineError('INTERNAL', `Bind for ${hostIp}:${port} failed: port is already allocated (${proto})`);

export async function openTcpProxy(hostIp: string, hostPort: number): Promise<PortProxy> {
  let target: { ip: string; port: number } | undefined;
  const conns = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    conns.add(client);
    client.on('close', () => conns.delete(client));
    client.on('error', () => undefined);
    if (!target) {
      client.destroy();
      return;
    }
    const upstream = net.connect({ host: target.ip, port: target.port, allowHalfOpen: true });
    conns.add(upstream);
    upstream.on('close', () => {
      conns.delete(upstream);
      client.destroy();
    });
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    // Half-close each way on EOF so request/response protocols that shut down writing still work.
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? allocated(hostIp, hostPort, 'tcp') : err),
    );
    server.listen({ host: hostIp, port: hostPort, exclusive: true }, () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    protocol: 'tcp',
    hostIp,
    hostPort: port,
    setTarget(ip, p) {
      target = { ip, port: p };
    },
    close() {
      for (const c of conns) c.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

export async function openUdpProxy(hostIp: string, hostPort: number): Promise<PortProxy> {
  let target: { ip: string; port: number } | undefined;
  // One upstream socket per client address, so replies find their way back.
  const flows = new Map<string, { sock: dgram.Socket; timer: NodeJS.Timeout }>();
  const server = dgram.createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? allocated(hostIp, hostPort, 'udp') : err),
    );
    server.bind({ address: hostIp, port: hostPort, exclusive: true }, () => resolve());
  });
  server.on('error', () => undefined);
  const drop = (key: string) => {
    const f = flows.get(key);
    if (!f) return;
    clearTimeout(f.timer);
    f.sock.close();
    flows.delete(key);
  };
  server.on('message', (msg, rinfo) => {
    if (!target) return;
    const key = `${rinfo.address}:${rinfo.port}`;
    let flow = flows.get(key);
    if (!flow) {
      const sock = dgram.createSocket('udp4');
      sock.on('error', () => drop(key));
      sock.on('message', (reply) => {
        server.send(reply, rinfo.port, rinfo.address);
        flow?.timer.refresh();
      });
      flow = { sock, timer: setTimeout(() => drop(key), UDP_IDLE_MS) };
      flows.set(key, flow);
    }
    flow.timer.refresh();
    flow.sock.send(msg, target.port, target.ip);
  });
  const port = server.address().port;
  return {
    protocol: 'udp',
    hostIp,
    hostPort: port,
    setTarget(ip, p) {
      target = { ip, port: p };
    },
    close() {
      for (const key of [...flows.keys()]) drop(key);
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
