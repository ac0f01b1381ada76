import { describe, expect, it } from 'vitest';
import { niceMax, sparklinePath } from '@/lib/sparkline';

describe('sparklinePath', () => {
  it('maps values to a left-to-right path inside the box and clamps over-range values', () => {
    const { line, area } = sparklinePath([0, 50, 200], 100, 50, 100);
    expect(line).toBe('M0.0,49.0L50.0,25.0L100.0,1.0');
    expect(area).toBe('M0.0,49.0L50.0,25.0L100.0,1.0L100.0,50L0,50Z');
  });
  it('draws nothing without data', () => {
    expect(sparklinePath([], 100, 50, 1)).toEqual({ line: '', area: '' });
  });
});

describe('niceMax', () => {
  it('rounds the peak plus headroom up to 1/2/5 × 10^n', () => {
    expect(niceMax([0.3, 0.7], 0.1)).toBe(1);
    expect(niceMax([3.5], 0.1)).toBe(5);
    expect(niceMax([90], 1)).toBe(200);
    expect(niceMax([], 2)).toBe(5);
    expect(niceMax([400 * 1024], 1024)).toBe(500_000);
  });
});
