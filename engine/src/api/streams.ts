import { Writable } from 'node:stream';
import type { ProgressEvent } from '../images/types.js';
import type { OutputFrame } from './backend.js';

const STREAM_IDS = { stdout: 1, stderr: 2 } as const;

/** Docker's multiplexed stream header: [stream id, 0, 0, 0, big-endian uint32 length]. */
export function stdcopyFrame(stream: 'stdout' | 'stderr', data: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header[0] = STREAM_IDS[stream];
  header.writeUInt32BE(data.length, 4);
  return Buffer.concat([header, data]);
}

/**
 * An objectMode sink of OutputFrames that writes them to `out` either multiplexed (non-TTY)
 * or raw (TTY), passing back-pressure through.
 */
export function frameWriter(out: Writable, tty: boolean, endOut = true): Writable {
  return new Writable({
    objectMode: true,
    highWaterMark: 16,
    write(frame: OutputFrame, _enc, cb) {
      if (out.destroyed || out.writableEnded) return cb();
      const ok = out.write(tty ? frame.data : stdcopyFrame(frame.stream, frame.data));
      if (ok) cb();
      else {
        const done = () => {
          out.off('drain', done);
          out.off('close', done);
          cb();
        };
        out.once('drain', done);
        out.once('close', done);
      }
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
