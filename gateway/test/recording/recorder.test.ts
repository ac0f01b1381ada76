import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
});
