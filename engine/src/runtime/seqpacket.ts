import { closeSync, openSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { Readable } from 'node:stream';
import { SeqpacketSocket } from 'node-unix-socket';

/**
 * The one place that touches node-unix-socket (Node has no SOCK_SEQPACKET of its own, and conmon's
 * attach socket is one). Its native side has sharp edges, so this module keeps to a narrow path:
 *
 * - Teardown never runs inside one of its callbacks: destroying a socket from a 'data' handler
 *   panicked the process (its read loop keeps using the fd after the JS handler returns), so every
 *   close is deferred with setImmediate and guarded to run once.
 * - Every socket gets an 'error' listener; the library emits 'error' and then destroys by itself.
 * - The receive buffer is sized to conmon's packets: the library allocates (and zeroes) a buffer of
 *   this size for every read, 256 KiB by default.
 *
 * Back-pressure: node-unix-socket has no way to stop reading (it drains the socket in one native
 * loop and offers no stop-receive call), so a slow consumer cannot push back on the kernel socket,
 * although conmon would honour it (its writes to the attach socket block, and then it stops
 * draining the pty; measured). Packets are queued here instead, up to `maxQueuedPackets`; past
 * that, by `overflow`, the connection fails ('fail') or further packets are dropped until the
 * queue is half empty ('drop'), rather than letting one slow reader grow berthd's memory without
 * bound.
 */

/**
 * conmon's largest packet: STDIO_BUF_SIZE (8192) + 1 byte naming the pipe, which is also what
 * Podman reads with. No larger: node-unix-socket allocates and zeroes this much for every packet,
 * and a terminal's packets are mostly 1–4 KiB.
 */
const DEFAULT_READ_BUFFER = 8192 + 1;
/** sun_path is 108 bytes including the NUL. */
const MAX_SOCKET_PATH = 107;

export interface SeqpacketOptions {
  readBufferSize?: number;
  /**
   * Real back-pressure where the peer can be held (a conmon, see throttle.ts): held once
   * `holdAtPackets` are queued, released when the reader has taken them down to a quarter.
   */
  throttle?: { hold(): void; release(): void };
  /** Default 256 packets (1–2 MiB of terminal output). */
  holdAtPackets?: number;
  /** Queued (unread) packets after which `overflow` applies. Default 2048 (~16 MiB of conmon output). */
  maxQueuedPackets?: number;
  /**
   * Past `maxQueuedPackets`: 'fail' the connection (default; for byte streams, where a gap would
   * corrupt the data silently), or 'drop' packets until the queue is half empty (for terminals,
   * where a gap in the output is better than a session that stops showing anything).
   */
  overflow?: 'fail' | 'drop';
}

export interface SeqpacketConnection {
  /** objectMode Readable: one Buffer per received packet; ends when the peer closes. */
  readonly packets: Readable;
  /** Send one packet; resolves once the kernel has it (the peer's back-pressure applies). */
  send(packet: Buffer): Promise<void>;
  /** Half-close: the peer reads EOF; packets may still arrive. */
  end(): void;
  /** Disconnect (deferred out of any native callback). Safe to call any number of times. */
  close(): void;
  /** Resolves once the native socket is closed and its fd released. */
  readonly closed: Promise<void>;
  /** Bytes dropped so far (overflow 'drop'). */
  readonly droppedBytes: number;
}

export async function connectSeqpacket(path: string, opts: SeqpacketOptions = {}): Promise<SeqpacketConnection> {
  const sock = new SeqpacketSocket();
  sock.setInternalReadBufferSize(opts.readBufferSize ?? DEFAULT_READ_BUFFER);
  const conn = new Connection(
    sock,
    opts.maxQueuedPackets ?? 2048,
    opts.overflow ?? 'fail',
    opts.throttle,
    opts.holdAtPackets ?? 256,
  );
  try {
    await conn.connect(path);
  } catch (err) {
    conn.close();
    await conn.closed;
    throw err;
  }
  return conn;
}

class Connection implements SeqpacketConnection {
  readonly packets: Readable;
  readonly closed: Promise<void>;
  private teardownScheduled = false;
  private isClosed = false;
  private ended = false;
  private markClosed!: () => void;
  private readonly pendingSends = new Set<(err: Error) => void>();
  droppedBytes = 0;
  private dropping = false;
  private holding = false;

  constructor(
    private readonly sock: SeqpacketSocket,
    private readonly maxQueued: number,
    private readonly overflow: 'fail' | 'drop',
    private readonly throttle: SeqpacketOptions['throttle'],
    private readonly holdAt: number,
  ) {
    this.closed = new Promise((resolve) => {
      this.markClosed = resolve;
    });
    this.packets = new Readable({
      objectMode: true,
      highWaterMark: 64,
      // Called as the reader takes packets: the moment to let a held peer go on.
      read: () => {
        if (this.holding && this.packets.readableLength <= this.holdAt / 4) this.letGo();
      },
      destroy: (err, cb) => {
        this.letGo();
        this.close();
        cb(err);
      },
    });
    sock.on('data', (packet: Buffer) => this.onPacket(packet));
    sock.on('end', () => this.onEnd());
    sock.on('error', (err: Error) => this.onError(err));
    sock.on('close', () => this.onClose());
  }

  connect(path: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.sock.once('error', onError);
      let dirFd: number | undefined;
      try {
        let target = path;
        // Long bundle paths: connect through /proc/self/fd/N/<name>, as Podman does.
        if (Buffer.byteLength(path) > MAX_SOCKET_PATH) {
          dirFd = openSync(dirname(path), 'r');
          target = `/proc/self/fd/${dirFd}/${basename(path)}`;
        }
        this.sock.connect(target, () => {
          this.sock.off('error', onError);
          resolve();
        });
      } catch (err) {
        this.sock.off('error', onError);
        reject(err);
      } finally {
        if (dirFd !== undefined) closeSync(dirFd);
      }
    });
  }

  send(packet: Buffer): Promise<void> {
    if (this.isClosed || this.teardownScheduled || this.ended) {
      return Promise.reject(new Error('seqpacket connection is closed'));
    }
    return new Promise((resolve, reject) => {
      const fail = (err: Error) => reject(err);
      this.pendingSends.add(fail);
      try {
        this.sock.write(packet, 0, packet.length, () => {
          this.pendingSends.delete(fail);
          resolve();
        });
      } catch (err) {
        this.pendingSends.delete(fail);
        reject(err as Error);
      }
    });
  }

  end(): void {
    if (this.ended || this.isClosed || this.teardownScheduled) return;
    this.ended = true;
    try {
      this.sock.end();
    } catch {
      // Already shut down by the peer: nothing left to half-close.
    }
  }

  close(): void {
    if (this.teardownScheduled || this.isClosed) return;
    this.teardownScheduled = true;
    setImmediate(() => {
      try {
        this.sock.destroy();
      } finally {
        // destroy() emits 'close' synchronously; make sure we settle even if it did not.
        this.onClose();
      }
    });
  }

  private onPacket(packet: Buffer): void {
    if (this.teardownScheduled || this.isClosed) return;
    // objectMode counts packets; conmon's packets are at most one read buffer each.
    const queued = this.packets.readableLength;
    if (this.dropping && queued <= this.maxQueued / 2) this.dropping = false;
    if (!this.dropping && queued >= this.maxQueued) {
      if (this.overflow === 'fail') {
        this.packets.destroy(new Error(`attach reader too slow: ${this.maxQueued} packets queued`));
        return;
      }
      this.dropping = true;
    }
    if (this.dropping) {
      this.droppedBytes += packet.length;
      return;
    }
    this.packets.push(packet);
    if (this.throttle && !this.holding && this.packets.readableLength >= this.holdAt) {
      this.holding = true;
      this.throttle.hold();
    }
  }

  private letGo(): void {
    if (!this.holding) return;
    this.holding = false;
    this.throttle?.release();
  }

  private onEnd(): void {
    if (!this.packets.destroyed) this.packets.push(null);
    this.close();
  }

  private onError(err: Error): void {
    if (!this.packets.destroyed) this.packets.destroy(err);
    this.close();
  }

  private onClose(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.letGo();
    const err = new Error('seqpacket connection closed');
    for (const fail of this.pendingSends) fail(err);
    this.pendingSends.clear();
    // Closed without EOF (we disconnected): end the stream so readers finish.
    if (!this.packets.destroyed && !this.packets.readableEnded) this.packets.push(null);
    this.markClosed();
  }
}
