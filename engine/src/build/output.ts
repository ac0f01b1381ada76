import type { ProgressEvent, ProgressFn } from '../images/types.js';

/**
 * The classic builder's JSON stream: `{"stream": …}` text (a container's stderr wrapped in red,
 * as moby's StderrFormatter does), `{"aux": {"ID": …}}` per finished stage. With `-q` all of it
 * is held back; only the image id goes out, or on failure what was held back, then the error.
 */
export class BuildOutput {
  private readonly held: ProgressEvent[] = [];

  constructor(
    private readonly progress: ProgressFn,
    private readonly quiet: boolean,
  ) {}

  private emit(event: ProgressEvent): void {
    if (this.quiet) this.held.push(event);
    else this.progress(event);
  }

  stdout(text: string): void {
    if (text !== '') this.emit({ stream: text });
  }

  stderr(text: string): void {
    if (text !== '') this.emit({ stream: `\u001b[91m${text}\u001b[0m` });
  }

  aux(imageId: string): void {
    this.emit({ aux: { ID: imageId } });
  }

  /** Pass a pull's progress through (FROM of an image not present). */
  passthrough(event: ProgressEvent): void {
    this.emit(event);
  }

  /** The `-q` result line. */
  quietResult(imageId: string): void {
    if (this.quiet) this.progress({ stream: `${imageId}\n` });
  }

  /** Before an error: what `-q` held back, so the failure has its context (as dockerd does). */
  releaseHeld(): void {
    for (const e of this.held.splice(0)) this.progress(e);
  }
}

export function shortId(id: string | undefined): string {
  return (id ?? '').replace(/^sha256:/, '').slice(0, 12);
}
