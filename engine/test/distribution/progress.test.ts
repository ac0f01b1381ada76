import { describe, expect, it } from 'vitest';
import { humanSize, LayerProgress, progressBar, shortId } from '../../src/distribution/progress.js';
import type { ProgressEvent } from '../../src/images/types.js';

describe('progress', () => {
  it('sizes like go-units HumanSize', () => {
    expect(humanSize(0)).toBe('0B');
    expect(humanSize(999)).toBe('999B');
    expect(humanSize(1000)).toBe('1kB');
    expect(humanSize(12_345_678)).toBe('12.35MB');
    expect(humanSize(204_000_000)).toBe('204MB');
  });

  it('renders the bar dockerd sends', () => {
    expect(progressBar(50, 100)).toBe(`[=========================>                         ]      50B/100B`);
    expect(progressBar(0, 1_000_000)).toBe(`[>${' '.repeat(50)}]       0B/1MB`);
    expect(progressBar(1_000_000, 1_000_000)).toBe(`[${'='.repeat(50)}>] ${'1MB'.padStart(8)}/1MB`);
  });

  it('keys layers by the first 12 hex digits', () => {
    expect(shortId(`sha256:${'ab'.repeat(32)}`)).toBe('abababababab');
  });

  it('throttles byte updates but always sends the last one', () => {
    const events: ProgressEvent[] = [];
    const total = 4 * 1024 * 1024;
    const bar = new LayerProgress((e) => events.push(e), 'abc', 'Downloading', total);
    for (let n = 0; n <= total; n += 16 * 1024) bar.update(n);
    // 4 MiB in 16 KiB steps within one 100 ms window: one message per 512 KiB plus the first.
    expect(events.length).toBeLessThanOrEqual(10);
    expect(events.at(-1)).toMatchObject({
      status: 'Downloading',
      id: 'abc',
      progressDetail: { current: total, total },
    });
  });

  it('sends a skipped update once the interval is over, so a stall shows where it stopped', async () => {
    const events: ProgressEvent[] = [];
    const bar = new LayerProgress((e) => events.push(e), 'abc', 'Downloading', 10_000_000);
    bar.update(0);
    bar.update(1000);
    expect(events).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 150));
    expect(events.map((e) => e.progressDetail?.current)).toEqual([0, 1000]);

    const stopped: ProgressEvent[] = [];
    const other = new LayerProgress((e) => stopped.push(e), 'def', 'Downloading', 10_000_000);
    other.update(0);
    other.update(1000);
    other.stop();
    await new Promise((r) => setTimeout(r, 150));
    expect(stopped).toHaveLength(1);
  });
});
