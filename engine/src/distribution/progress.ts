import type { ProgressEvent, ProgressFn } from '../images/types.js';

/**
 * Docker's JSON progress messages for pull and push, in the shape the docker CLI renders as
 * per-layer bars. The CLI redraws bars from `progressDetail`; `progress` is the pre-rendered
 * string dockerd sends for clients that print it as is.
 */

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];

/** go-units' HumanSize: decimal units, four significant digits ("12.35MB"). */
export function humanSize(bytes: number): string {
  let size = bytes;
  let unit = 0;
  while (size >= 1000 && unit < UNITS.length - 1) {
    size /= 1000;
    unit++;
  }
  return `${Number(size.toPrecision(4))}${UNITS[unit]}`;
}

/** The bar dockerd renders for a wide terminal: `[=====>      ]  12.3MB/45.6MB`. */
export function progressBar(current: number, total: number): string {
  if (total <= 0) return humanSize(current).padStart(8);
  const filled = Math.min(50, Math.floor(Math.floor((current / total) * 100) / 2));
  const bar = `[${'='.repeat(filled)}>${' '.repeat(50 - filled)}] `;
  const numbers =
    current > total ? humanSize(current).padStart(8) : `${humanSize(current).padStart(8)}/${humanSize(total)}`;
  return bar + numbers;
}

/** The 12-hex id the CLI keys a layer's line by. */
export function shortId(digest: string): string {
  const hex = digest.includes(':') ? digest.slice(digest.indexOf(':') + 1) : digest;
  return hex.slice(0, 12);
}

export function statusEvent(status: string, id?: string): ProgressEvent {
  return id === undefined ? { status } : { status, progressDetail: {}, id };
}

export function errorEvent(message: string): ProgressEvent {
  return { errorDetail: { message }, error: message };
}

const THROTTLE_BYTES = 512 * 1024;
const THROTTLE_MS = 100;

/**
 * Byte progress of one layer, throttled: a message every 512 KiB or 100 ms, and always the last
 * one, so a fast loopback transfer does not flood the API stream with thousands of lines. A
 * skipped update is sent once the interval is over (trailing edge), so a stalled transfer still
 * shows where it stopped.
 */
export class LayerProgress {
  private lastBytes = -1;
  private lastTime = 0;
  private pending: number | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly emit: ProgressFn,
    readonly id: string,
    private readonly action: string,
    private readonly total: number,
  ) {}

  update(current: number): void {
    const now = Date.now();
    const done = current >= this.total;
    if (!done && current - this.lastBytes < THROTTLE_BYTES && now - this.lastTime < THROTTLE_MS) {
      this.pending = current;
      this.timer ??= setTimeout(() => this.flush(), THROTTLE_MS - (now - this.lastTime)).unref();
      return;
    }
    this.send(current, now);
  }

  /** No more updates (finished or failed): drop any trailing one. */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = undefined;
  }

  private flush(): void {
    this.timer = undefined;
    if (this.pending !== undefined) this.send(this.pending, Date.now());
  }

  private send(current: number, now: number): void {
    this.stop();
    if (current === this.lastBytes) return;
    this.lastBytes = current;
    this.lastTime = now;
    this.emit({
      status: this.action,
      progressDetail: { current, total: this.total },
      progress: progressBar(current, this.total),
      id: this.id,
    });
  }
}

/**
 * The image store reports unpacking as `docker load` does ("Loading layer"); a pull shows it as
 * "Extracting" bars ending in "Pull complete". Everything else passes through.
 */
export function pullUnpackProgress(emit: ProgressFn): ProgressFn {
  return (event) => {
    if (event.status !== 'Loading layer' || event.id === undefined) {
      emit(event);
      return;
    }
    const current = event.progressDetail?.current ?? 0;
    const total = event.progressDetail?.total ?? 0;
    emit({
      status: 'Extracting',
      progressDetail: { current, total },
      progress: progressBar(current, total),
      id: event.id,
    });
    if (total > 0 && current >= total) emit(statusEvent('Pull complete', event.id));
  };
}
