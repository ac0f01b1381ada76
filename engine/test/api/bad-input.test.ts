import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestDaemon } from '../support/berthd.js';
import { busyboxTar } from '../support/images.js';

const d = new TestDaemon();

beforeAll(async () => {
  await d.start();
  d.ok(['import', busyboxTar(), 'bb']);
});
afterAll(() => d.cleanup());

describe('bad input never crashes berthd nor leaves partial state', () => {
  it('malformed JSON is a 400 with a message', async () => {
    const r = await d.api('POST', '/v1.43/containers/create', '{"Image": ');
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body).message).toMatch(/invalid JSON/);
  });

  it('wrong types and unknown fields are handled', async () => {
    expect((await d.api('POST', '/v1.43/containers/create', '[]')).status).toBe(400);
    expect((await d.api('POST', '/v1.43/containers/create', '{"Image": 42}')).status).toBe(400);
    const ok = await d.api(
      'POST',
      '/v1.43/containers/create?name=unknown-fields',
      JSON.stringify({ Image: 'bb', Cmd: ['true'], Bogus: { x: 1 } }),
    );
    expect(ok.status).toBe(201);
  });

  it('bad references and names are 400, missing objects 404, conflicts 409', async () => {
    expect((await d.api('POST', '/v1.43/containers/create', JSON.stringify({ Image: 'UPPER/Case::bad' }))).status).toBe(
      400,
    );
    expect(
      (await d.api('POST', '/v1.43/containers/create?name=b@d', JSON.stringify({ Image: 'bb', Cmd: ['true'] }))).status,
    ).toBe(400);
    expect((await d.api('POST', '/v1.43/containers/create', JSON.stringify({ Image: 'missing:tag' }))).status).toBe(
      404,
    );
    expect((await d.api('GET', '/v1.43/containers/nope/json')).status).toBe(404);
    const dup = await d.api(
      'POST',
      '/v1.43/containers/create?name=unknown-fields',
      JSON.stringify({ Image: 'bb', Cmd: ['true'] }),
    );
    expect(dup.status).toBe(409);
    expect(JSON.parse(dup.body).message).toMatch(/already in use/);
  });

  it('a truncated or garbage image tar is refused and leaves no image', async () => {
    const before = d.ok(['images', '-q', '--no-trunc']);
    const garbage = await d.api(
      'POST',
      '/v1.43/images/create?fromSrc=-&repo=junk',
      Buffer.from('definitely not a tar'.repeat(100)),
      { 'Content-Type': 'application/x-tar' },
    );
    expect(garbage.body).toMatch(/error|invalid/i);
    const load = await d.api('POST', '/v1.43/images/load', Buffer.alloc(3000, 7), {
      'Content-Type': 'application/x-tar',
    });
    expect(load.status === 400 || /error/.test(load.body)).toBe(true);
    expect(d.ok(['images', '-q', '--no-trunc'])).toBe(before);
    expect(await d.ping()).toBe(true);
  });

  it('unknown paths and too-new API versions answer cleanly', async () => {
    expect((await d.api('GET', '/v1.43/no/such/path')).status).toBe(404);
    const tooNew = await d.api('GET', '/v9.99/version');
    expect(tooNew.status).toBe(400);
    expect(JSON.parse(tooNew.body).message).toMatch(/too new/);
  });
});
