import { describe, expect, it } from 'vitest';
import { LogBuffer, splitMatches } from '@/lib/logBuffer';

describe('LogBuffer', () => {
  it('keeps only the newest lines and counts what it dropped', () => {
    const b = new LogBuffer(10);
    for (let i = 0; i < 25; i++) b.append('stdout', `line ${i}`);
    expect(b.size).toBe(10);
    expect(b.all().map((l) => l.line)).toEqual(Array.from({ length: 10 }, (_, i) => `line ${i + 15}`));
    expect(b.total).toBe(25);
    expect(b.dropped).toBeGreaterThanOrEqual(11);
  });
  it('searches case-insensitively and limits to the newest matches', () => {
    const b = new LogBuffer();
    for (const l of ['GET /a', 'error: x', 'GET /b', 'Error: y', 'GET /c']) b.append('stdout', l);
    expect(b.view('ERROR', 10)).toEqual({
      lines: [
        { seq: 1, stream: 'stdout', line: 'error: x' },
        { seq: 3, stream: 'stdout', line: 'Error: y' },
      ],
      matched: 2,
    });
    expect(b.view('get', 2).lines.map((l) => l.line)).toEqual(['GET /b', 'GET /c']);
    expect(b.view('', 2).matched).toBe(5);
    expect(b.text()).toBe('GET /a\nerror: x\nGET /b\nError: y\nGET /c');
  });
});

describe('splitMatches', () => {
  it('splits around every match, preserving case', () => {
    expect(splitMatches('Error and error', 'error')).toEqual([
      { text: 'Error', hit: true },
      { text: ' and ', hit: false },
      { text: 'error', hit: true },
    ]);
    expect(splitMatches('abc', '')).toEqual([{ text: 'abc', hit: false }]);
  });
});

describe('LogBuffer.view(before)', () => {
  it('hides lines appended after a pause', () => {
    const b = new LogBuffer();
    b.append('stdout', 'one');
    b.append('stdout', 'two');
    const pausedAt = b.total;
    b.append('stdout', 'three');
    expect(b.view('', 10, pausedAt).lines.map((l) => l.line)).toEqual(['one', 'two']);
    expect(b.view('t', 10, pausedAt).lines.map((l) => l.line)).toEqual(['two']);
    expect(b.view('', 10).lines).toHaveLength(3);
  });
});
