import { describe, expect, it } from 'vitest';
import { castText, eventsDue, outputBetween, parseCast, ReplayClock, sizeAt } from '@/lib/asciicast';

const CAST = [
  JSON.stringify({ version: 2, width: 80, height: 24, timestamp: 1700000000 }),
  JSON.stringify([0.1, 'o', '$ ']),
  JSON.stringify([0.5, 'i', 'echo hi\r']),
  JSON.stringify([0.6, 'o', 'echo hi\r\n']),
  JSON.stringify([0.7, 'o', '\u001b[32mhi\u001b[0m\r\n']),
  JSON.stringify([1.0, 'r', '100x30']),
  JSON.stringify([2.5, 'o', '$ ']),
  '',
].join('\n');

describe('parseCast', () => {
  it('reads the header and events, and the duration is the last event time', () => {
    const cast = parseCast(CAST);
    expect(cast.header).toMatchObject({ width: 80, height: 24 });
    expect(cast.events).toHaveLength(6);
    expect(cast.duration).toBe(2.5);
  });
  it('rejects other versions and empty input', () => {
    expect(() => parseCast('{"version":1}')).toThrow(/version 1/);
    expect(() => parseCast('')).toThrow(/empty/);
  });
  it('keeps the events before a truncated last line', () => {
    const cast = parseCast(`${CAST}[3.0, "o", "unterminat`);
    expect(cast.events).toHaveLength(6);
  });
  it('strips escapes for plain text, and ignores input events', () => {
    expect(castText(parseCast(CAST))).toBe('$ echo hi\nhi\n$ ');
  });
});

describe('seeking', () => {
  const cast = parseCast(CAST);
  it('counts the events due at a time', () => {
    expect(eventsDue(cast.events, 0)).toBe(0);
    expect(eventsDue(cast.events, 0.6)).toBe(3);
    expect(eventsDue(cast.events, 99)).toBe(6);
  });
  it('joins output between two indexes', () => {
    expect(outputBetween(cast.events, 0, eventsDue(cast.events, 0.6))).toBe('$ echo hi\r\n');
  });
  it('tracks resizes', () => {
    expect(sizeAt(cast, 3)).toEqual({ cols: 80, rows: 24 });
    expect(sizeAt(cast, 6)).toEqual({ cols: 100, rows: 30 });
  });
});

describe('ReplayClock', () => {
  it('advances with wall time times speed, pauses, seeks and clamps', () => {
    let now = 0;
    const clock = new ReplayClock(10, () => now);
    clock.play();
    now = 2000;
    expect(clock.position()).toBe(2);
    clock.setSpeed(4);
    now = 3000;
    expect(clock.position()).toBe(6);
    clock.pause();
    now = 9000;
    expect(clock.position()).toBe(6);
    clock.seek(1);
    expect(clock.position()).toBe(1);
    clock.play();
    now = 60_000;
    expect(clock.position()).toBe(10);
    expect(clock.finished()).toBe(true);
    clock.pause();
    clock.play(); // finished → restarts from 0
    expect(clock.position()).toBe(0);
  });
});
