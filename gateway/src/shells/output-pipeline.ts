// Engine output on its way to the browser: stored in the recording first, then delivered.
// Storing and delivering one chunk at a time left the engine stream idle during every recording
// write, so a flood ran at the speed of write round trips. Here the stream keeps being read while
// writes are in flight (the recorder stores what arrives meanwhile in one write: group commit),
// and output is delivered, in order, once the write holding it has completed. So no byte reaches
// the browser before it is in the recording, and what waits is bounded by the caller pausing
// the engine stream while `full`.

/** Read but not yet stored and delivered: above this the session pauses the engine stream. */
export const PENDING_MAX = 1 << 20;

/** Largest frame made by joining chunks (a single chunk read may be larger). */
export const FRAME_MAX = 64 << 10;

export interface OutputSteps {
  /**
   * Resolves once the chunk is in the recording; chunks stored by one write may share the promise.
   * A rejection stops delivery for good (the recorder ends the shell).
   */
  store(chunk: Buffer): Promise<void>;
  /** Stored output, in order (chunks stored together arrive concatenated). */
  deliver(output: Buffer): void;
  /** Called after a delivery: there may be room to read more. */
  room(): void;
}

export class OutputPipeline {
  private pendingBytes = 0;
  private tail: Promise<void> = Promise.resolve();
  /** The chunks waiting on the most recent store promise: later chunks on the same one join them. */
  private group: { stored: Promise<void>; chunks: Buffer[]; bytes: number } | null = null;
  private stopped = false;

  constructor(private readonly steps: OutputSteps) {}

  /** Enough waits for the recording that the engine stream should pause. */
  get full(): boolean {
    return this.pendingBytes >= PENDING_MAX;
  }

  push(chunk: Buffer): void {
    if (this.stopped) return;
    this.pendingBytes += chunk.length;
    const stored = this.steps.store(chunk);
    // Chunks stored by one write go to the browser together: fewer sends, fewer syscalls. But in
    // frames of at most FRAME_MAX: a frame's bytes count against the socket's high-water mark
    // until all of it is written, so one huge frame would stop the engine stream meanwhile.
    if (this.group?.stored === stored && this.group.bytes + chunk.length <= FRAME_MAX) {
      this.group.chunks.push(chunk);
      this.group.bytes += chunk.length;
      return;
    }
    stored.catch(() => {}); // seen in turn below; not an unhandled rejection meanwhile
    const group = { stored, chunks: [chunk], bytes: chunk.length };
    this.group = group;
    const step = async () => {
      const ok = await stored.then(
        () => true,
        () => false,
      );
      if (this.group === group) this.group = null; // its write is done: later chunks are in another
      this.pendingBytes -= group.bytes;
      if (!ok) this.stopped = true; // not stored, so never shown; nor anything after it
      if (this.stopped) return;
      this.steps.deliver(group.chunks.length === 1 ? group.chunks[0]! : Buffer.concat(group.chunks, group.bytes));
      this.steps.room();
    };
    // Chained, so output is delivered in the order it was read (and on after a throw).
    this.tail = this.tail.then(step, step);
  }

  /** Resolves once everything pushed so far is stored and delivered (or delivery stopped). */
  settled(): Promise<void> {
    return this.tail;
  }
}
