// asciicast v2 event lines built straight from terminal bytes. Output is recorded before it is
// shown, so this is on the path of every byte a shell prints: decoding to a JS string and
// encoding the JSON back to UTF-8 cost more CPU than the rest of the gateway's path together.
// Valid UTF-8 is read as latin1 instead (one char per byte, a plain copy): JSON.stringify
// escapes only quotes, backslashes and control characters, all ASCII, so writing its result
// back as latin1 gives the original bytes with exactly the escapes a UTF-8 round trip would add.
import { isUtf8 } from 'node:buffer';

export type EventCode = 'o' | 'i' | 'r' | 'm';

/** One event line, newline included. */
export function textLine(t: number, code: EventCode, text: string): Buffer {
  return Buffer.from(`${JSON.stringify([Number(t.toFixed(6)), code, text])}\n`, 'utf8');
}

/** An output event for bytes that end on a character boundary (see incompleteTail). */
export function outputLine(t: number, bytes: Buffer): Buffer {
  if (!isUtf8(bytes)) return textLine(t, 'o', bytes.toString('utf8')); // invalid sequences become U+FFFD, as before
  return Buffer.from(`${JSON.stringify([Number(t.toFixed(6)), 'o', bytes.toString('latin1')])}\n`, 'latin1');
}

/**
 * How many bytes at the end of `buf` (0–3) begin a UTF-8 character that is not complete yet:
 * they wait for the next chunk, so a character split across reads is recorded whole.
 */
export function incompleteTail(buf: Buffer): number {
  for (let back = 1; back <= Math.min(4, buf.length); back++) {
    const b = buf[buf.length - back]!;
    if ((b & 0xc0) === 0x80) continue; // a continuation byte: look further back for the lead
    const need = b >= 0xf8 ? 1 : b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return need > back ? back : 0;
  }
  return 0;
}

/** The text of the last `max` bytes or so of `buf`, starting on a character boundary. */
export function textTail(buf: Buffer, max: number): string {
  let start = Math.max(0, buf.length - max);
  while (start > 0 && start < buf.length && (buf[start]! & 0xc0) === 0x80) start++;
  return buf.toString('utf8', start);
}
