// Runs one action per item with bounded concurrency and reports every outcome: a bulk stop of
// 200 containers across 20 hosts must not open 200 engine connections at once, and one
// unreachable host must not hide the results of the others.

export type BulkOutcome<T> = { item: T; ok: true } | { item: T; ok: false; error: string };

export async function runBulk<T>(
  items: readonly T[],
  action: (item: T) => Promise<unknown>,
  { concurrency = 6, onProgress }: { concurrency?: number; onProgress?: (done: number, total: number) => void } = {},
): Promise<Array<BulkOutcome<T>>> {
  const results: Array<BulkOutcome<T>> = new Array(items.length);
  let next = 0;
  let done = 0;
  async function worker() {
    while (next < items.length) {
      const i = next++;
      const item = items[i] as T;
      try {
        await action(item);
        results[i] = { item, ok: true };
      } catch (err) {
        results[i] = { item, ok: false, error: err instanceof Error ? err.message : String(err) };
      }
      done++;
      onProgress?.(done, items.length);
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}
