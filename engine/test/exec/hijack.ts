import { connect, type Socket } from 'node:net';

/** A raw `Upgrade: tcp` POST as the docker CLI sends it, for what the CLI does not exercise. */
export interface Hijacked {
  write(data: string | Buffer): void;
  end(): void;
  destroy(): void;
  /** Everything received after the 101 response. */
  output(): string;
  /** How many bytes that is. */
  bytes(): number;
  socket: Socket;
  ended: Promise<void>;
}

/**
 * `bodyDelayMs`: send the JSON body in a second segment after the headers, as a busy client's
 * kernel sometimes does, so the server must read it from the socket rather than the upgrade head.
 */
export function hijack(
  socketPath: string,
  path: string,
  body: string,
  opts: { bodyDelayMs?: number } = {},
): Promise<Hijacked> {
  return new Promise((resolve, reject) => {
    const sock = connect(socketPath);
    let head = Buffer.alloc(0);
    // Chunks, not one growing Buffer: a fast stream would make that quadratic.
    const chunks: Buffer[] = [];
    let size = 0;
    let upgraded = false;
    const ended = new Promise<void>((r) => sock.once('close', () => r()));
    sock.once('error', reject);
    sock.on('data', (chunk: Buffer) => {
      if (upgraded) {
        chunks.push(chunk);
        size += chunk.length;
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      const status = head.subarray(0, end).toString();
      if (!status.startsWith('HTTP/1.1 101')) {
        reject(new Error(`not upgraded: ${head.toString()}`));
        sock.destroy();
        return;
      }
      upgraded = true;
      const first = head.subarray(end + 4);
      chunks.push(first);
      size += first.length;
      resolve({
        write: (d) => sock.write(d),
        end: () => sock.end(),
        destroy: () => sock.destroy(),
        output: () => Buffer.concat(chunks).toString(),
        bytes: () => size,
        socket: sock,
        ended,
      });
    });
    const request = `POST ${path} HTTP/1.1\r\nHost: berthd\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`;
    if (opts.bodyDelayMs === undefined) sock.write(`${request}${body}`);
    else {
      sock.write(request);
      setTimeout(() => sock.write(body), opts.bodyDelayMs);
    }
  });
}

/** Poll `cond`; the deadline only bounds a failure (a loaded machine runs the CLI slowly). */
export async function until(cond: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}
