/** A counting semaphore: at most `n` tasks run at once, the rest wait in FIFO order. */
export class Limiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly n: number) {}

  /** Run `fn` when a slot is free; `onQueued` is told when it has to wait (the "Waiting" line). */
  async run<T>(fn: () => Promise<T>, onQueued?: () => void): Promise<T> {
    if (this.active >= this.n) {
      onQueued?.();
      // The releasing task hands its slot over directly, so `active` stays counted.
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.active++;
    }
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}

/** Sleep that an abort ends early (with the abort's reason). */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Run one task per item, at most `limit` at once; the first failure aborts the others (the
 * signal each task gets) and is what this throws, unless the caller's own signal ended it all.
 * `onQueued(item)` is told when an item has to wait for a slot.
 */
export async function allOrAbort<I>(
  items: I[],
  limit: number,
  task: (item: I, signal: AbortSignal) => Promise<void>,
  opts: { signal?: AbortSignal; onQueued?: (item: I) => void } = {},
): Promise<void> {
  const failed = new AbortController();
  const linked = opts.signal ? AbortSignal.any([opts.signal, failed.signal]) : failed.signal;
  const limiter = new Limiter(limit);
  const results = await Promise.allSettled(
    items.map((item) =>
      limiter
        .run(
          async () => {
            if (linked.aborted) throw linked.reason;
            await task(item, linked);
          },
          () => opts.onQueued?.(item),
        )
        .catch((err: unknown) => {
          failed.abort(err);
          throw err;
        }),
    ),
  );
  const first = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (first) throw opts.signal?.aborted ? (opts.signal.reason ?? first.reason) : first.reason;
}
