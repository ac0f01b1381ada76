import { type FSWatcher, watch } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { formatRfc3339Nano, parseRfc3339Nano, secondsToNs } from './time.js';
import type { LogEntry, LogReadOptions } from './types.js';

/**
 * Reader for conmon's k8s-file logs: one record per line,
 * `<RFC3339Nano> <stdout|stderr> <P|F> <content>`, where P marks a partial line (output that
 * did not end in a newline within one read) and F the record that completes it. Partials are
 * joined per stream into whole lines. Hand-written: the format is four fields and no library
 * reads it; tail reads the file backwards so `--tail` on a large log reads only its end.
 */

const BLOCK = 64 * 1024;
/** A line that never ends (progress bars) is emitted in pieces of at most this much. */
const MAX_JOINED = 256 * 1024;
const NL = 0x0a;

export async function* readLogs(path: string, opts: LogReadOptions = {}): AsyncGenerator<LogEntry> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  const since = opts.since !== undefined ? secondsToNs(opts.since) : undefined;
  const until = opts.until !== undefined ? secondsToNs(opts.until) : undefined;
  const parser = new K8sFileParser();
  const wake = new Wake();
  let watcher: FSWatcher | undefined;
  let finished = false;
  const onAbort = () => wake.fire();
  try {
    const { size } = await fh.stat();
    let pos = opts.tail !== undefined ? await tailOffset(fh, size, opts.tail) : 0;
    if (opts.follow) {
      // Watch before the first read so no write between that read and the wait goes unseen.
      watcher = watch(path, () => wake.fire());
      watcher.on('error', () => wake.fire());
      opts.done?.then(
        () => {
          finished = true;
          wake.fire();
        },
        () => {
          finished = true;
          wake.fire();
        },
      );
      opts.signal?.addEventListener('abort', onAbort);
    }
    const chunk = Buffer.allocUnsafe(BLOCK);
    for (;;) {
      // Read whatever is there now.
      for (;;) {
        if (opts.signal?.aborted) return;
        const { bytesRead } = await fh.read(chunk, 0, BLOCK, pos);
        if (bytesRead === 0) break;
        pos += bytesRead;
        for (const entry of parser.push(chunk.subarray(0, bytesRead))) {
          const t = entry.unixNs;
          if (until !== undefined && t > until) return;
          if (since !== undefined && t < since) continue;
          yield toEntry(entry);
        }
      }
      if (!opts.follow || opts.signal?.aborted) break;
      if (finished) {
        // The writer is gone and the file was drained after it went: done.
        if (!wake.pending) break;
      }
      await wake.wait();
    }
    for (const entry of parser.flush()) {
      if (until !== undefined && entry.unixNs > until) return;
      if (since !== undefined && entry.unixNs < since) continue;
      yield toEntry(entry);
    }
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    watcher?.close();
    await fh.close();
  }
}

interface ParsedEntry {
  stream: 'stdout' | 'stderr';
  unixNs: bigint;
  data: Buffer;
}

function toEntry(e: ParsedEntry): LogEntry {
  return { stream: e.stream, time: formatRfc3339Nano(e.unixNs), data: e.data };
}

/** Incremental parser: feed it bytes, get back complete (joined) lines. */
export class K8sFileParser {
  private carry: Buffer = Buffer.alloc(0);
  private readonly partial = new Map<'stdout' | 'stderr', { unixNs: bigint; chunks: Buffer[]; size: number }>();

  push(bytes: Buffer): ParsedEntry[] {
    const buf = this.carry.length > 0 ? Buffer.concat([this.carry, bytes]) : bytes;
    const out: ParsedEntry[] = [];
    let start = 0;
    for (let nl = buf.indexOf(NL, start); nl >= 0; nl = buf.indexOf(NL, start)) {
      this.record(buf.subarray(start, nl), out);
      start = nl + 1;
    }
    // Copy: `bytes` is the caller's reusable read buffer.
    this.carry = Buffer.from(buf.subarray(start));
    return out;
  }

  /** Emit partial lines still waiting for their end (the writer has gone). */
  flush(): ParsedEntry[] {
    const out: ParsedEntry[] = [];
    for (const [stream, p] of this.partial) out.push({ stream, unixNs: p.unixNs, data: Buffer.concat(p.chunks) });
    this.partial.clear();
    return out;
  }

  private record(line: Buffer, out: ParsedEntry[]): void {
    const s1 = line.indexOf(0x20);
    const s2 = s1 < 0 ? -1 : line.indexOf(0x20, s1 + 1);
    const s3 = s2 < 0 ? -1 : line.indexOf(0x20, s2 + 1);
    // Time, stream and tag are required; an empty F record may lack the space before content.
    if (s2 < 0) return;
    const unixNs = parseRfc3339Nano(line.toString('latin1', 0, s1));
    const streamName = line.toString('latin1', s1 + 1, s2);
    if (unixNs === undefined || (streamName !== 'stdout' && streamName !== 'stderr')) return;
    const stream = streamName;
    const tag = line.toString('latin1', s2 + 1, s3 < 0 ? line.length : s3);
    const content = s3 < 0 ? Buffer.alloc(0) : line.subarray(s3 + 1);
    const pending = this.partial.get(stream);
    if (tag.split(':')[0] === 'P') {
      const p = pending ?? { unixNs, chunks: [], size: 0 };
      p.chunks.push(Buffer.from(content));
      p.size += content.length;
      if (p.size >= MAX_JOINED) {
        out.push({ stream, unixNs: p.unixNs, data: Buffer.concat(p.chunks) });
        this.partial.delete(stream);
      } else {
        this.partial.set(stream, p);
      }
      return;
    }
    const parts = pending ? [...pending.chunks, content, Buffer.from('\n')] : [content, Buffer.from('\n')];
    this.partial.delete(stream);
    out.push({ stream, unixNs: pending?.unixNs ?? unixNs, data: Buffer.concat(parts) });
  }
}

/**
 * Offset of the first record of the last `n` lines. Reads backwards block by block and counts
 * line-completing (F) records; the start is just past the (n+1)-th one from the end. An
 * unfinished last record (being written) is left to the forward reader.
 */
export async function tailOffset(fh: FileHandle, size: number, n: number): Promise<number> {
  if (n <= 0) return size;
  let bufStart = size;
  let buf: Buffer = Buffer.alloc(0);
  const prepend = async (): Promise<boolean> => {
    if (bufStart === 0) return false;
    const len = Math.min(BLOCK, bufStart);
    bufStart -= len;
    const block = Buffer.alloc(len);
    await fh.read(block, 0, len, bufStart);
    buf = Buffer.concat([block, buf]);
    return true;
  };
  // Trim to the end of the last complete record.
  for (;;) {
    const last = buf.lastIndexOf(NL);
    if (last >= 0) {
      buf = buf.subarray(0, last + 1);
      break;
    }
    if (!(await prepend())) return 0;
  }
  let completed = 0;
  for (;;) {
    // `buf` ends just past a record's newline; find where that record starts.
    const prevNl = buf.length >= 2 ? buf.lastIndexOf(NL, buf.length - 2) : -1;
    if (prevNl < 0 && bufStart > 0) {
      await prepend();
      continue;
    }
    const record = buf.subarray(prevNl + 1);
    if (isLineEnd(record)) {
      completed++;
      if (completed === n + 1) return bufStart + buf.length;
    }
    if (prevNl < 0) return 0;
    buf = buf.subarray(0, prevNl + 1);
  }
}

function isLineEnd(record: Buffer): boolean {
  const s1 = record.indexOf(0x20);
  const s2 = s1 < 0 ? -1 : record.indexOf(0x20, s1 + 1);
  return s2 >= 0 && record[s2 + 1] !== 0x50; // 'P'
}

/** A level-triggered wake-up: fire() before wait() is not lost. */
class Wake {
  pending = false;
  private resolve: (() => void) | undefined;

  fire(): void {
    this.pending = true;
    const r = this.resolve;
    this.resolve = undefined;
    r?.();
  }

  wait(): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.resolve = () => {
        this.pending = false;
        resolve();
      };
    });
  }
}
