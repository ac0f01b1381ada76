// Ending an exec from the gateway's side. Closing the engine connection does not stop an exec,
// so the gateway does what a hangup does to a terminal.
import type { Duplex } from 'node:stream';

/**
 * Hangs up the terminal of an exec: ^C, then — once the output has settled (a shell is back at
 * its prompt, reading raw keys) — ^D. Sent together, the ^D lands in the input the interrupt
 * flushes. A ^C that arrives while the shell is starting a program reaches neither, so the
 * pair is repeated a few times before giving up.
 */
export async function hangUp(stream: Duplex): Promise<void> {
  let gone = false;
  const ended = new Promise<void>((r) => {
    const done = () => {
      gone = true;
      r();
    };
    stream.once('end', done);
    stream.once('close', done);
  });
  const settled = (quietMs: number, maxMs: number) =>
    new Promise<void>((resolve) => {
      let quiet: NodeJS.Timeout | undefined;
      const finish = () => {
        clearTimeout(quiet);
        clearTimeout(cap);
        stream.off('data', onData);
        resolve();
      };
      const onData = () => {
        clearTimeout(quiet);
        quiet = setTimeout(finish, quietMs);
      };
      const cap = setTimeout(finish, maxMs);
      quiet = setTimeout(finish, quietMs);
      stream.on('data', onData);
    });
  stream.resume(); // output must flow for the program to make progress and for 'end' to come
  for (let round = 0; round < 3 && !gone; round++) {
    stream.write('\u0003');
    await Promise.race([ended, settled(150, 1000)]);
    if (gone) break;
    stream.write('\u0004');
    await Promise.race([ended, settled(150, 1000).then(() => new Promise((r) => setTimeout(r, 200)))]);
  }
}
