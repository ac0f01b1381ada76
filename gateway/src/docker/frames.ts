// Docker's stream formats. Without a TTY, attach/logs streams multiplex stdout and stderr into
// frames: an 8-byte header [stream, 0, 0, 0, size(uint32 BE)] then `size` bytes. dockerode's
// demuxStream splits them into two separate streams, which loses their relative order; this
// keeps it.
export type StreamName = 'stdin' | 'stdout' | 'stderr';

export interface Frame {
  stream: StreamName;
  data: Buffer;
}

const NAMES: StreamName[] = ['stdin', 'stdout', 'stderr'];

export async function* demux(source: AsyncIterable<Buffer | string>): AsyncGenerator<Frame> {
  let pending = Buffer.alloc(0);
  for await (const chunk of source) {
    pending = pending.length ? Buffer.concat([pending, Buffer.from(chunk)]) : Buffer.from(chunk);
    while (pending.length >= 8) {
      const size = pending.readUInt32BE(4);
      if (pending.length < 8 + size) break;
      yield { stream: NAMES[pending[0]!] ?? 'stdout', data: pending.subarray(8, 8 + size) };
      pending = pending.subarray(8 + size);
    }
  }
}

/** A TTY stream is raw bytes on one channel. */
export async function* raw(source: AsyncIterable<Buffer | string>): AsyncGenerator<Frame> {
  for await (const chunk of source) yield { stream: 'stdout', data: Buffer.from(chunk) };
}

/** Splits frames into complete lines per stream; a trailing partial line is flushed at the end. */
export async function* lines(frames: AsyncIterable<Frame>): AsyncGenerator<{ stream: StreamName; line: string }> {
  const carry: Record<string, string> = {};
  for await (const f of frames) {
    const text = (carry[f.stream] ?? '') + f.data.toString('utf8');
    const parts = text.split('\n');
    carry[f.stream] = parts.pop() ?? '';
    for (const line of parts) yield { stream: f.stream, line: line.endsWith('\r') ? line.slice(0, -1) : line };
  }
  for (const [stream, rest] of Object.entries(carry)) if (rest) yield { stream: stream as StreamName, line: rest };
}

/** Newline-delimited JSON (stats, image load progress). */
export async function* jsonLines<T>(source: AsyncIterable<Buffer | string>): AsyncGenerator<T> {
  let carry = '';
  for await (const chunk of source) {
    const parts = (carry + chunk.toString()).split('\n');
    carry = parts.pop() ?? '';
    for (const p of parts) if (p.trim()) yield JSON.parse(p) as T;
  }
  if (carry.trim()) yield JSON.parse(carry) as T;
}

export async function* once(buffer: Buffer): AsyncGenerator<Buffer> {
  yield buffer;
}
