import { Writable } from 'node:stream';
import { drainOrClose } from '../drain.js';
import type { ProgressEvent } from '../images/types.js';
import type { OutputFrame } from './backend.js';

const STREAM_IDS = { stdout: 1, stderr: 2 } as const;

/** Docker's multiplexed stream header: [stream id, 0, 0, 0, big-endian uint32 length]. */
function stdcopyHeader(stream: 'stdout' | 'stderr', length: number): Buffer {
  const header = Buffer.alloc(8);
  header[0] = STREAM_IDS[stream];
  header.writeUInt32BE(length, 4);
  return header;
}

/** One frame of Docker's multiplexed stream: header and data. */
export function stdcopyFrame(stream: 'stdout' | 'stderr', data: Buffer): Buffer {
  return Buffer.concat([stdcopyHeader(stream, data.length), data]);
}

/**
 * An objectMode sink of OutputFrames that writes them to `out` either multiplexed (non-TTY)
 * or raw (TTY), passing back-pressure through. Frames written in one turn of the event loop
 * leave in one writev: a terminal's output comes in packets of a few KiB, and a system call per
 * packet cost more than everything else on the way (and a header needs no copy of its data).
 */
export function frameWriter(out: Writable, tty: boolean, endOut = true): Writable {
  let corked = false;
  const uncork = () => {
    corked = false;
    out.uncork();
  };
  return new Writable({
    objectMode: true,
    highWaterMark: 16,
    write(frame: OutputFrame, _enc, cb) {
      if (out.destroyed || out.writableEnded) return cb();
      if (!corked) {
        corked = true;
        out.cork();
        setImmediate(uncork);
      }
      if (!tty) out.write(stdcopyHeader(frame.stream, frame.data.length));
      if (out.write(frame.data)) cb();
      else void drainOrClose(out).then(() => cb());
    },
    final(cb) {
      if (endOut && !out.destroyed && !out.writableEnded) out.end();
      cb();
    },
  });
}

/** A writer of Docker's JSON-lines progress stream. */
export function progressWriter(out: Writable): (event: ProgressEvent) => void {
  return (event) => {
    if (!out.destroyed && !out.writableEnded) out.write(`${JSON.stringify(event)}\r\n`);
  };
}

/** Wait until a Writable has flushed everything it was given (or was destroyed). */
export function flushed(w: Writable): Promise<void> {
  if (w.writableFinished || w.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    w.once('finish', resolve);
    w.once('close', resolve);
  });
}
