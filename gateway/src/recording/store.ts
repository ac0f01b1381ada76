// Where shell recordings live. The interface is what the shell code depends on; the file
// implementation keeps one asciicast file per session under <data-dir>/recordings. Another
// backend (object storage, a log pipeline) only has to implement these three methods.
import { createReadStream } from 'node:fs';
import { mkdir, open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';

export interface RecordingSink {
  /** Appends whole lines (UTF-8, each ending in a newline); rejects if they could not be stored (the shell is then ended). */
  write(lines: Buffer): Promise<void>;
  close(): Promise<void>;
}

export interface RecordingStore {
  create(key: string): Promise<RecordingSink>;
  /** The recording as stored, or null if there is none. */
  open(key: string): Promise<Readable | null>;
  size(key: string): Promise<number | null>;
}

const KEY = /^[A-Za-z0-9_-]{1,128}$/;

function checkKey(key: string): string {
  // Keys become file names: nothing that could climb out of the directory.
  if (!KEY.test(key)) throw new Error(`invalid recording key ${JSON.stringify(key)}`);
  return `${key}.cast`;
}

export class FileRecordingStore implements RecordingStore {
  constructor(readonly dir: string) {}

  async create(key: string): Promise<RecordingSink> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    // 'wx': never append to or overwrite an existing recording.
    const fh = await open(join(this.dir, checkKey(key)), 'wx', 0o600);
    let chain: Promise<void> = Promise.resolve();
    let closed = false;
    return {
      write(lines) {
        if (closed) return Promise.reject(new Error('recording already closed'));
        const next = chain.then(async () => {
          // A write may be partial (a full disk); a recording with a hole in it is no recording.
          for (let at = 0; at < lines.length; ) at += (await fh.write(lines, at)).bytesWritten;
        });
        chain = next.catch(() => {});
        return next;
      },
      async close() {
        if (closed) return;
        closed = true;
        await chain;
        await fh.sync().catch(() => {});
        await fh.close();
      },
    };
  }

  async open(key: string): Promise<Readable | null> {
    const path = join(this.dir, checkKey(key));
    try {
      await stat(path);
    } catch {
      return null;
    }
    return createReadStream(path);
  }

  async size(key: string): Promise<number | null> {
    try {
      return (await stat(join(this.dir, checkKey(key)))).size;
    } catch {
      return null;
    }
  }
}
