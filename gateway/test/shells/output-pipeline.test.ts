// The output pipeline on its own: nothing is delivered before its store resolves, delivery keeps
// the order of reading whatever order stores finish in, chunks stored by one write go out
// together (in frames of at most FRAME_MAX), a failed store stops delivery for good, and `full`
// bounds what waits.
import { describe, expect, it } from 'vitest';
import { FRAME_MAX, OutputPipeline, PENDING_MAX } from '../../src/shells/output-pipeline.js';

function deferred() {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const flush = () => new Promise((r) => setImmediate(r));

function pipelineWith(stores: Promise<void>[]) {
  const delivered: string[] = [];
  let rooms = 0;
  let i = 0;
  const pipeline = new OutputPipeline({
    store: () => stores[i++]!,
    deliver: (output) => delivered.push(output.toString()),
    room: () => rooms++,
  });
  return { pipeline, delivered, rooms: () => rooms };
}

describe('output pipeline', () => {
  it('delivers nothing before it is stored, and in the order it was read', async () => {
    const [a, b, c] = [deferred(), deferred(), deferred()];
    const { pipeline, delivered } = pipelineWith([a.promise, b.promise, c.promise]);
    pipeline.push(Buffer.from('a'));
    pipeline.push(Buffer.from('b'));
    pipeline.push(Buffer.from('c'));
    await flush();
    expect(delivered).toEqual([]);
    c.resolve(); // a later write finishing first must not overtake
    await flush();
    expect(delivered).toEqual([]);
    a.resolve();
    await flush();
    expect(delivered).toEqual(['a']);
    b.resolve();
    await pipeline.settled();
    expect(delivered).toEqual(['a', 'b', 'c']);
  });

  it('sends chunks stored by the same write as one', async () => {
    const first = deferred();
    const group = deferred();
    const { pipeline, delivered, rooms } = pipelineWith([first.promise, group.promise, group.promise, group.promise]);
    for (const s of ['1', '2', '3', '4']) pipeline.push(Buffer.from(s));
    first.resolve();
    group.resolve();
    await pipeline.settled();
    expect(delivered).toEqual(['1', '234']);
    expect(rooms()).toBe(2);
  });

  it('joins chunks into frames of at most FRAME_MAX', async () => {
    const store = Promise.resolve();
    const { pipeline, delivered } = pipelineWith(Array(8).fill(store));
    const chunk = Buffer.alloc(FRAME_MAX / 4 + 1, 'x');
    for (let i = 0; i < 8; i++) pipeline.push(chunk);
    await pipeline.settled();
    expect(delivered.map((d) => d.length)).toEqual([3, 3, 2].map((n) => n * chunk.length));
  });

  it('stops for good when a store fails: neither that output nor any after it is delivered', async () => {
    const [a, b, c] = [deferred(), deferred(), deferred()];
    const { pipeline, delivered } = pipelineWith([a.promise, b.promise, c.promise, Promise.resolve()]);
    pipeline.push(Buffer.from('a'));
    pipeline.push(Buffer.from('b'));
    pipeline.push(Buffer.from('c'));
    a.resolve();
    b.reject(new Error('EIO'));
    c.resolve();
    await pipeline.settled();
    pipeline.push(Buffer.from('d'));
    await pipeline.settled();
    expect(delivered).toEqual(['a']);
  });

  it('is full while a megabyte waits for the recording, and has room once it is delivered', async () => {
    const store = deferred();
    const { pipeline, delivered } = pipelineWith(Array(20).fill(store.promise));
    const chunk = Buffer.alloc(64 << 10, 'x');
    let pushed = 0;
    while (!pipeline.full) {
      pipeline.push(chunk);
      pushed += chunk.length;
    }
    expect(pushed).toBe(PENDING_MAX);
    store.resolve();
    await pipeline.settled();
    expect(pipeline.full).toBe(false);
    expect(delivered.join('').length).toBe(PENDING_MAX);
  });
});
