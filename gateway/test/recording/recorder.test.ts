import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { incompleteTail, outputLine } from '../../src/recording/cast-line.js';
import { Recorder } from '../../src/recording/recorder.js';
import { FileRecordingStore } from '../../src/recording/store.js';
import { parseCast } from '../support/shell-client.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-rec-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('recorder', () => {
  it('writes asciicast v2 and replays output to the same bytes, even with split UTF-8', async () => {
    const store = new FileRecordingStore(dir);
    let now = Date.parse('2026-01-01T00:00:00Z');
    const rec = new Recorder(
      await store.create('s1'),
      { width: 80, height: 24, startedAt: new Date(now), command: 'sh', title: 't' },
      () => {},
      { now: () => now, echoWindowMs: 100 },
    );
    await rec.start();
    const bytes = Buffer.from('héllo → wörld\r\n', 'utf8');
    now += 250;
    await rec.output(bytes.subarray(0, 2)); // splits the two-byte é
    now += 250;
    await rec.output(bytes.subarray(2));
    await rec.resize(100, 30);
    await rec.close();
    const cast = parseCast(await readFile(join(dir, 's1.cast'), 'utf8'));
    expect(cast.header).toMatchObject({ version: 2, width: 80, height: 24, timestamp: 1767225600, command: 'sh' });
    const out = cast.events.filter((e) => e[1] === 'o');
    expect(Buffer.from(out.map((e) => e[2]).join(''), 'utf8').equals(bytes)).toBe(true);
    expect(out[0]![0]).toBeCloseTo(0.25);
    expect(cast.events.at(-1)).toEqual([0.5, 'r', '100x30']);
    expect(rec.bytesOut).toBe(bytes.length);
  });

  it('refuses to overwrite a recording and rejects keys that could escape the directory', async () => {
    const store = new FileRecordingStore(dir);
    await (await store.create('dup')).close();
    await expect(store.create('dup')).rejects.toThrow();
    await expect(store.create('../etc/passwd')).rejects.toThrow(/invalid recording key/);
  });

  it('reports the first failed write and fails every write after it', async () => {
    const failures: Error[] = [];
    let n = 0;
    const rec = new Recorder(
      {
        async write() {
          if (++n > 2) throw new Error('EIO');
        },
        async close() {},
      },
      { width: 80, height: 24, startedAt: new Date(), command: 'sh', title: 't' },
      (e) => failures.push(e),
    );
    await rec.start();
    await rec.output(Buffer.from('a'));
    await expect(rec.output(Buffer.from('b'))).rejects.toThrow('EIO');
    await expect(rec.output(Buffer.from('c'))).rejects.toThrow('EIO');
    expect(failures).toHaveLength(1);
    expect(rec.failed?.message).toBe('EIO');
  });

  it('stores what comes during a write with the next one (group commit), each resolving only once stored', async () => {
    const writes: { lines: string; done: () => void }[] = [];
    const rec = new Recorder(
      {
        write: (lines) => new Promise<void>((done) => writes.push({ lines: lines.toString('utf8'), done })),
        async close() {},
      },
      { width: 80, height: 24, startedAt: new Date(), command: 'sh', title: 't' },
      () => {},
    );
    const started = rec.start();
    await new Promise((r) => setImmediate(r));
    writes[0]!.done();
    await started;
    const stored: string[] = [];
    const first = rec.output(Buffer.from('one ')).then(() => stored.push('one'));
    await new Promise((r) => setImmediate(r));
    expect(writes).toHaveLength(2); // in flight
    const rest = ['two ', 'thr', 'ee'].map((s) => rec.output(Buffer.from(s)).then(() => stored.push(s)));
    await new Promise((r) => setTimeout(r, 20));
    expect(writes).toHaveLength(2); // the others wait for the write in flight
    expect(stored).toEqual([]);
    writes[1]!.done();
    await first;
    await new Promise((r) => setTimeout(r, 20));
    expect(stored).toEqual(['one']);
    expect(writes).toHaveLength(3); // ...then go in one write
    expect(
      writes[2]!.lines
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l)[2]),
    ).toEqual(['two ', 'thr', 'ee']);
    writes[2]!.done();
    await Promise.all(rest);
    expect(stored).toEqual(['one', 'two ', 'thr', 'ee']);
  });

  it('encodes output events exactly as JSON.stringify of the decoded text would', () => {
    const samples = [
      'plain ascii',
      'quotes " and \\ backslash',
      '\u001b[1;31mred\u001b[0m\r\n\t\b\f\u0000\u0007\u007f',
      'héllo → wörld 😀 \u2028 \u2029 中文',
    ];
    for (const text of samples) {
      const line = outputLine(1.5, Buffer.from(text, 'utf8')).toString('utf8');
      expect(line).toBe(`${JSON.stringify([1.5, 'o', text])}\n`);
    }
    // Invalid UTF-8 is recorded as a decoder reads it (U+FFFD), not as raw bytes.
    const invalid = Buffer.from([0x61, 0xff, 0x62, 0xc3, 0x28]);
    expect(outputLine(2, invalid).toString('utf8')).toBe(`${JSON.stringify([2, 'o', invalid.toString('utf8')])}\n`);
  });

  it('holds back only a character that is not complete yet', () => {
    const euro = Buffer.from('€', 'utf8'); // 3 bytes
    const smile = Buffer.from('😀', 'utf8'); // 4 bytes
    expect(incompleteTail(Buffer.from('abc'))).toBe(0);
    expect(incompleteTail(Buffer.concat([Buffer.from('a'), euro.subarray(0, 1)]))).toBe(1);
    expect(incompleteTail(Buffer.concat([Buffer.from('a'), euro.subarray(0, 2)]))).toBe(2);
    expect(incompleteTail(Buffer.concat([Buffer.from('a'), euro]))).toBe(0);
    expect(incompleteTail(smile.subarray(0, 3))).toBe(3);
    expect(incompleteTail(smile)).toBe(0);
    expect(incompleteTail(Buffer.from([0x80, 0x80]))).toBe(0); // stray continuation bytes: nothing to wait for
  });

  it('replays to the bytes it was given however the output is split', async () => {
    const store = new FileRecordingStore(dir);
    const bytes = Buffer.from('aé€😀\r\n"\\\u001b[0m中文'.repeat(50), 'utf8');
    const rec = new Recorder(
      await store.create('split'),
      { width: 80, height: 24, startedAt: new Date(), command: 'sh', title: 't' },
      () => {},
    );
    await rec.start();
    const pending: Promise<void>[] = [];
    for (let at = 0, n = 1; at < bytes.length; at += n, n = (n % 7) + 1)
      pending.push(rec.output(bytes.subarray(at, at + n)));
    await Promise.all(pending);
    await rec.close();
    const cast = parseCast(await readFile(join(dir, 'split.cast'), 'utf8'));
    const out = cast.events.filter((e) => e[1] === 'o').map((e) => e[2]);
    expect(Buffer.from(out.join(''), 'utf8').equals(bytes)).toBe(true);
  });
});
