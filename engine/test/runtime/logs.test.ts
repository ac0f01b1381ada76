import { appendFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { K8sFileParser, readLogs } from '../../src/runtime/logs.js';
import type { LogEntry, LogReadOptions } from '../../src/runtime/types.js';
import { uniqueId, useRuntimeHarness } from './harness.js';

const h = useRuntimeHarness();

async function all(path: string, opts: LogReadOptions = {}): Promise<LogEntry[]> {
  const out: LogEntry[] = [];
  for await (const e of readLogs(path, opts)) out.push(e);
  return out;
}

const lines = (entries: LogEntry[]) => entries.map((e) => `${e.stream}:${e.data.toString()}`);

/** Second `s` of 2026-01-01 UTC, as conmon writes it (local offset form). */
function ts(s: number, offset = '+00:00'): string {
  const d = new Date(Date.UTC(2026, 0, 1, 0, 0, s));
  return `${d.toISOString().slice(0, 19)}.000000123${offset}`;
}

describe('k8s-file parsing', () => {
  it('joins partial records per stream and keeps streams apart', () => {
    const p = new K8sFileParser();
    const text = [
      `${ts(1)} stdout P abc`,
      `${ts(1)} stderr F oops`,
      `${ts(2)} stdout P def`,
      `${ts(3)} stdout F ghi`,
      `${ts(4)} stdout F `,
      'garbage line',
      '',
    ].join('\n');
    // Fed in awkward pieces, as reads return them.
    const buf = Buffer.from(text);
    const got = [...p.push(buf.subarray(0, 7)), ...p.push(buf.subarray(7, 50)), ...p.push(buf.subarray(50))];
    expect(got.map((e) => `${e.stream}:${e.data.toString()}`)).toEqual([
      'stderr:oops\n',
      'stdout:abcdefghi\n',
      'stdout:\n',
    ]);
    // The joined line carries the time of its first piece.
    expect(got[1]?.unixNs).toBe(BigInt(Date.UTC(2026, 0, 1, 0, 0, 1)) * 1_000_000n + 123n);
    expect(p.flush()).toEqual([]);
  });

  it('emits an unfinished partial line when the writer is gone', () => {
    const p = new K8sFileParser();
    expect(p.push(Buffer.from(`${ts(1)} stdout P no newline yet\n`))).toEqual([]);
    expect(p.flush().map((e) => e.data.toString())).toEqual(['no newline yet']);
  });
});

describe('readLogs', () => {
  it('tails a large file by reading it backwards', async () => {
    const path = join(h.dir, 'big.log');
    const recs: string[] = [];
    for (let i = 0; i < 20_000; i++) recs.push(`${ts(i % 60)} stdout F line ${i}`);
    // The last line arrives in pieces: tail must start at its first piece.
    recs.push(`${ts(0)} stdout P last-`, `${ts(0)} stderr F interleaved`, `${ts(0)} stdout F line`);
    await writeFile(path, `${recs.join('\n')}\n`);
    expect(lines(await all(path, { tail: 3 }))).toEqual([
      'stdout:line 19999\n',
      'stderr:interleaved\n',
      'stdout:last-line\n',
    ]);
    expect(await all(path, { tail: 0 })).toEqual([]);
    expect((await all(path, { tail: 100_000 })).length).toBe(20_002);
    expect((await all(path)).length).toBe(20_002);
  });

  it('filters by since and until (fractional unix seconds, any offset)', async () => {
    const path = join(h.dir, 'times.log');
    await writeFile(
      path,
      [`${ts(10)} stdout F a`, `${ts(20, '+02:00')} stdout F b`, `${ts(30)} stdout F c`, ''].join('\n'),
    );
    const base = Date.UTC(2026, 0, 1) / 1000;
    // ts(20, '+02:00') is two hours before ts(20) in UTC, so it is the earliest.
    expect(lines(await all(path, { since: base + 10 }))).toEqual(['stdout:a\n', 'stdout:c\n']);
    expect(lines(await all(path, { since: base + 10.000001, until: base + 31 }))).toEqual(['stdout:c\n']);
    expect(lines(await all(path, { until: base + 15 }))).toEqual(['stdout:a\n', 'stdout:b\n']);
  });

  it('follows a growing file until done, then drains it', async () => {
    const path = join(h.dir, 'follow.log');
    await writeFile(path, `${ts(1)} stdout F first\n`);
    let finish!: () => void;
    const done = new Promise<void>((r) => {
      finish = r;
    });
    const reading = all(path, { follow: true, done });
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setTimeout(r, 20));
      await appendFile(path, `${ts(2)} stdout F more ${i}\n`);
    }
    await appendFile(path, `${ts(3)} stdout P tail-`);
    await appendFile(path, `end\n${ts(3)} stdout F piece\n`);
    finish();
    expect(lines(await reading)).toEqual([
      'stdout:first\n',
      ...[0, 1, 2, 3, 4].map((i) => `stdout:more ${i}\n`),
      'stdout:tail-endpiece\n',
    ]);
  });

  it('stops following on abort', async () => {
    const path = join(h.dir, 'abort.log');
    await writeFile(path, `${ts(1)} stdout F only\n`);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    expect(lines(await all(path, { follow: true, signal: ac.signal }))).toEqual(['stdout:only\n']);
  });

  it('reads what a real container wrote through conmon, following until it exits', async () => {
    const id = uniqueId('logs');
    const script =
      'for i in 1 2 3 4 5; do echo line $i; sleep 0.05; done; printf abc; sleep 0.2; printf "def\\n"; echo err >&2';
    const { logPath } = await h.create(id, { args: ['sh', '-c', script] });
    await h.runtime.start(id);
    const followed = await all(logPath, { follow: true, done: h.runtime.wait(id) });
    expect(lines(followed.filter((e) => e.stream === 'stdout'))).toEqual([
      ...[1, 2, 3, 4, 5].map((i) => `stdout:line ${i}\n`),
      'stdout:abcdef\n',
    ]);
    expect(lines(followed.filter((e) => e.stream === 'stderr'))).toEqual(['stderr:err\n']);
    expect(lines(await all(logPath, { tail: 2 }))).toEqual(['stdout:abcdef\n', 'stderr:err\n']);
    const t0 = Date.parse(followed[0]?.time ?? '');
    expect(Math.abs(t0 - Date.now())).toBeLessThan(60_000);
  });
});
