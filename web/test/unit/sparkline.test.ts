import { describe, expect, it } from 'vitest';
import { sparklinePath } from '@/lib/sparkline';

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
