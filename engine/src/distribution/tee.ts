import { PassThrough } from 'node:stream';
import { drainOrClose } from '../drain.js';

/**
 * A second reader of a download's bytes — the layer's extraction while it downloads. It sees
 * every chunk the content store sees, and the download waits for it (back-pressure both ways),
 * until it gives up: then it is cut off and the download goes on alone.
 */
export class DownloadTee {
  readonly stream = new PassThrough({ highWaterMark: 1 << 20 });
  private cut = false;

  constructor() {
    // abandon() destroys the stream with the download's error; the extraction hears of it through
    // its iterator, or has already given up. Never an uncaught 'error' that would end berthd.
    this.stream.on('error', () => {});
  }

  /** The reader stopped for good (it failed, or finished early): stop feeding it. */
  cutOff(): void {
    this.cut = true;
    this.stream.destroy();
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (this.cut || this.stream.destroyed) return;
    if (!this.stream.write(chunk)) await drainOrClose(this.stream);
  }

  /** The whole blob arrived and verified: the reader may finish. */
  end(): void {
    if (!this.cut && !this.stream.destroyed) this.stream.end();
  }

  /** The download failed or will be resumed from an offset: the reader cannot finish. */
  abandon(err: Error): void {
    this.cut = true;
    if (!this.stream.destroyed) this.stream.destroy(err);
  }
}
