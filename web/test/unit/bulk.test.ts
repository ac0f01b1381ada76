import { describe, expect, it } from 'vitest';
import { runBulk } from '@/lib/bulk';

describe('runBulk', () => {
  it('keeps order, reports each failure and never exceeds the concurrency limit', async () => {
    let inFlight = 0;
    let peak = 0;
    const progress: number[] = [];
    const out = await runBulk(
      [1, 2, 3, 4, 5, 6, 7],
      async (n) => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await new Promise((r) => setTimeout(r, 5 * (8 - n)));
        inFlight--;
        if (n % 3 === 0) throw new Error(`no ${n}`);
      },
      { concurrency: 3, onProgress: (d) => progress.push(d) },
    );
    expect(peak).toBe(3);
    expect(out.map((o) => o.item)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(out.filter((o) => !o.ok)).toEqual([
      { item: 3, ok: false, error: 'no 3' },
      { item: 6, ok: false, error: 'no 6' },
    ]);
    expect(progress).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });
  it('handles an empty list', async () => {
    expect(await runBulk([], async () => {})).toEqual([]);
  });
});
