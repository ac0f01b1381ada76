import { EngineError } from '../errors.js';

/** Parse Docker's `--detach-keys` syntax ("ctrl-p,ctrl-q", "a,ctrl-@") into byte codes. */
export function parseDetachKeys(spec: string | undefined): number[] {
  const source = spec && spec.length > 0 ? spec : 'ctrl-p,ctrl-q';
  return source.split(',').map((key) => {
    if (key.length === 1) return key.charCodeAt(0);
    const m = /^ctrl-(.)$/i.exec(key);
    if (!m?.[1]) throw new EngineError('BAD_PARAMETER', `Invalid detach keys (${source}) provided`);
    const c = m[1].toLowerCase();
    if (c >= 'a' && c <= 'z') return c.charCodeAt(0) - 96;
    const specials: Record<string, number> = { '@': 0, '[': 27, '\\': 28, ']': 29, '^': 30, _: 31 };
    const code = specials[c];
    if (code === undefined) throw new EngineError('BAD_PARAMETER', `Invalid detach keys (${source}) provided`);
    return code;
  });
}

/**
 * Scans input for the detach sequence. Bytes that start a possible sequence are held back until
 * it completes (detach) or breaks (they are released), as dockerd's escapeProxy does.
 */
export class DetachScanner {
  private matched = 0;

  constructor(private readonly keys: number[]) {}

  /** Returns the bytes to forward and whether the sequence completed. */
  push(chunk: Buffer): { forward: Buffer; detach: boolean } {
    const out: number[] = [];
    for (const byte of chunk) {
      if (byte === this.keys[this.matched]) {
        this.matched++;
        if (this.matched === this.keys.length) {
          this.matched = 0;
          return { forward: Buffer.from(out), detach: true };
        }
        continue;
      }
      if (this.matched > 0) {
        out.push(...this.keys.slice(0, this.matched));
        this.matched = 0;
        if (byte === this.keys[0]) {
          this.matched = 1;
          continue;
        }
      }
      out.push(byte);
    }
    return { forward: Buffer.from(out), detach: false };
  }
}
