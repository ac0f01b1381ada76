import { describe, expect, it } from 'vitest';
import { containerName, formatAgo, formatBytes, formatDuration, shortId, toDate } from '@/lib/format';
import { safeNext } from '@/lib/nav';

describe('format', () => {
  it('formats bytes in binary units', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(512 * 1024 * 1024)).toBe('512 MiB');
    expect(formatBytes(undefined)).toBe('—');
  });
  it('reads Docker seconds, JS milliseconds and ISO strings as the same instant', () => {
    const ms = Date.UTC(2024, 0, 2, 3, 4, 5);
    expect(toDate(ms / 1000)?.getTime()).toBe(ms);
    expect(toDate(ms)?.getTime()).toBe(ms);
    expect(toDate(new Date(ms).toISOString())?.getTime()).toBe(ms);
    expect(toDate('not a date')).toBeNull();
  });
  it('says how long ago', () => {
    const now = Date.UTC(2024, 0, 2);
    expect(formatAgo(now - 10_000, now)).toBe('10s ago');
    expect(formatAgo(now - 5 * 60_000, now)).toBe('5m ago');
    expect(formatAgo(now - 3 * 3600_000, now)).toBe('3h ago');
  });
  it('formats durations as m:ss / h:mm:ss', () => {
    expect(formatDuration(5.7)).toBe('0:05');
    expect(formatDuration(125)).toBe('2:05');
    expect(formatDuration(3725)).toBe('1:02:05');
  });
  it('shortens ids and strips the name slash', () => {
    expect(shortId('sha256:0123456789abcdef0123')).toBe('0123456789ab');
    expect(containerName(['/web', '/alias'])).toBe('web');
  });
});

describe('safeNext', () => {
  it('keeps same-origin paths and rejects everything else', () => {
    expect(safeNext('/containers?x=1')).toBe('/containers?x=1');
    expect(safeNext('//evil.example')).toBe('/');
    expect(safeNext('/\\evil.example')).toBe('/');
    expect(safeNext('https://evil.example')).toBe('/');
    expect(safeNext(null)).toBe('/');
  });
});
