import { pipeline, Transform, Writable } from 'node:stream';
import { connectSeqpacket } from './seqpacket.js';
import type { ConmonThrottle } from './throttle.js';
import type { AttachStream, OutputFrame } from './types.js';

/**
 * conmon's attach protocol (conn_sock.c): each packet conmon sends starts with one byte naming
 * the pipe (2 stdout, 3 stderr; a TTY's output is all 2), followed by up to 8192 bytes of output.
 * Whatever the client sends is written to the container's stdin as is; when the client hangs up
 * (or half-closes), conmon closes the container's stdin unless it runs with --leave-stdin-open.
 */

const STDOUT_PIPE = 2;
const STDERR_PIPE = 3;
/** conmon 2.1 reads stdin packets into an 8 KiB buffer (newer versions 32 KiB); stay within it. */
const MAX_STDIN_PACKET = 8192;

export async function openAttach(
  socketPath: string,
  opts: { stdin: boolean; tty?: boolean; throttle?: ConmonThrottle },
): Promise<AttachStream> {
  // A reader far behind holds conmon back (throttle.ts), so nothing is lost and nothing piles up.
  // Should that not hold (no conmon pid), a terminal's reader misses output rather than the rest
  // of the session, and other streams end instead of having gaps (seqpacket.ts).
  const conn = await connectSeqpacket(socketPath, {
    overflow: opts.tty ? 'drop' : 'fail',
    ...(opts.throttle ? { throttle: opts.throttle } : {}),
  });
  const frames = new Transform({
    objectMode: true,
    highWaterMark: 16,
    transform(packet: Buffer, _enc, cb) {
      const pipe = packet[0];
      if (packet.length <= 1 || (pipe !== STDOUT_PIPE && pipe !== STDERR_PIPE)) {
        cb();
        return;
      }
      const frame: OutputFrame = { stream: pipe === STDERR_PIPE ? 'stderr' : 'stdout', data: packet.subarray(1) };
      cb(null, frame);
    },
  });
  // pipeline: a failed connection fails the output stream, and a destroyed output closes the socket.
  pipeline(conn.packets, frames, () => conn.close());

  const stdin = opts.stdin
    ? new Writable({
        highWaterMark: 64 * 1024,
        write(chunk: Buffer, _enc, cb) {
          sendAll(chunk).then(() => cb(), cb);
        },
        final(cb) {
          conn.end();
          cb();
        },
      })
    : null;

  async function sendAll(chunk: Buffer): Promise<void> {
    for (let off = 0; off < chunk.length; off += MAX_STDIN_PACKET) {
      await conn.send(chunk.subarray(off, off + MAX_STDIN_PACKET));
    }
  }

  return {
    output: frames,
    stdin,
    close() {
      stdin?.destroy();
      conn.close();
    },
  };
}
