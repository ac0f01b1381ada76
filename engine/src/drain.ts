/**
 * Resolves when a writable that refused a write wants more ('drain') or is gone ('close'), so a
 * writer never waits for ever on a reader that gave up.
 */
export function drainOrClose(stream: NodeJS.EventEmitter): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
  });
}
