import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EchoFilter, echoedIn, printable } from '../../src/recording/echo-filter.js';

let now = 0;
let kept: string[];
let dropped: number;
let filter: EchoFilter;

beforeEach(() => {
  vi.useFakeTimers();
  now = 1000;
  kept = [];
  dropped = 0;
  filter = new EchoFilter({
    windowMs: 500,
    startMs: 200,
    now: () => now,
    keep: (e) => kept.push(e.data),
    drop: () => {
      dropped++;
    },
  });
});
afterEach(() => vi.useRealTimers());

function type(text: string, gapMs = 10): void {
  for (const ch of text) {
    filter.input(ch, now);
    advance(gapMs);
  }
}

function advance(ms: number): void {
  now += ms;
  vi.advanceTimersByTime(ms);
}

describe('echo filter', () => {
  it('keeps keystrokes the terminal echoes', () => {
    for (const ch of 'ls') {
      filter.input(ch, now);
      advance(2);
      filter.output(ch);
    }
    filter.input('\r', now);
    filter.output('\r\nfile\r\n$ ');
    expect(kept.join('')).toBe('ls\r');
    expect(dropped).toBe(0);
  });

  it('drops keystrokes that are not echoed (a password), and Enter after them', () => {
    filter.output('sudo: [sudo] enter it now\r\n');
    type('hunter2');
    filter.input('\r', now);
    advance(600);
    filter.output('\r\n$ ');
    expect(kept.join('')).toBe('');
    expect(dropped).toBe(8);
  });

  it('matches an echo that arrives after a prompt, for typing ahead', () => {
    type('echo hi', 1);
    filter.output('$ echo hi');
    expect(kept.join('')).toBe('echo hi');
  });

  it('does not let a later command confirm an earlier password', () => {
    type('hunter2', 20); // echo is off: nothing comes back
    filter.input('\r', now);
    advance(20);
    filter.output('ok\r\n$ ');
    type('echo hi', 5);
    filter.output('echo hi');
    advance(600);
    filter.close();
    expect(kept.join('')).toBe('echo hi');
  });

  it('does not accept an echo that starts later than startMs', () => {
    filter.input('x', now);
    advance(300);
    filter.output('x');
    advance(300);
    expect(kept).toEqual([]);
    expect(dropped).toBe(1);
  });

  it('drops the line typed after a prompt that asks for a secret, echoed or not', () => {
    filter.output('Password: ');
    type('abc');
    filter.output('abc');
    filter.input('\r', now);
    type('ls');
    filter.output('ls');
    expect(kept.join('')).toBe('ls');
    expect(dropped).toBe(4);
  });

  it('keeps control keys while echo is on and drops them while it is off', () => {
    filter.input('\u0003', now);
    expect(kept).toEqual(['\u0003']);
    type('x');
    advance(600);
    filter.input('\u001b[A', now);
    expect(kept).toEqual(['\u0003']);
  });

  it('strips escape sequences and controls before comparing', () => {
    expect(printable('\u001b[1;32mhi\u001b[0m\r\n\u0007')).toBe('hi');
    expect(echoedIn('$ abc', 'abcd', 1)).toBe('partial');
    expect(echoedIn('$ abcd', 'abcd', 1)).toBe('full');
    expect(echoedIn('$ abx', 'abcd', 1)).toBe('none');
    expect(echoedIn('$ ab', 'abcd', 1, 1)).toBe('none');
  });
});
