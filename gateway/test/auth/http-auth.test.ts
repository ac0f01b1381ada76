// Sign-in over real HTTP: cookie attributes, hashed sessions, CSRF refusal, rate limiting,
// Bearer tokens, the one-time password flow, and that no secret reaches the logs.
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '../../src/auth/secrets.js';
import { createLogger } from '../../src/log.js';
import { provider, startTestGateway, TEST_PASSWORD, type TestGateway } from '../support/gateway.js';

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked by the assertions
type Body = any;
const json = async (res: Response): Promise<Body> => res.json();

const logLines: string[] = [];
let t: TestGateway;

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${t.url}/trpc/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

async function login(username: string, password: string, headers: Record<string, string> = {}) {
  const res = await post('auth.login', { username, password }, headers);
  const cookie = res.headers.get('set-cookie') ?? '';
  return { res, cookie, value: /berth_session=([^;]*)/.exec(cookie)?.[1] ?? '' };
}

beforeAll(async () => {
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logLines.push(chunk.toString());
      cb();
    },
  });
  t = await startTestGateway({
    logger: createLogger({ level: 'trace', destination: sink }),
    limiter: { maxFailures: 3 },
  });
  await t.user('alice');
});
afterAll(() => t?.close());

describe(`HTTP authentication (${provider})`, () => {
  it('sets an httpOnly SameSite session cookie whose value is stored only as a hash', async () => {
    const { res, cookie, value } = await login('alice', TEST_PASSWORD);
    expect(res.status).toBe(200);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).toMatch(/Path=\//);
    expect(value.length).toBeGreaterThan(40);
    expect(await t.services.db.session.findUnique({ where: { id: value } })).toBeNull();
    expect(await t.services.db.session.findUnique({ where: { id: sha256(value) } })).not.toBeNull();

    const me = await json(await fetch(`${t.url}/trpc/auth.me`, { headers: { cookie: `berth_session=${value}` } }));
    expect(me.result.data.user.username).toBe('alice');

    const out = await post('auth.logout', {}, { cookie: `berth_session=${value}` });
    expect(out.headers.get('set-cookie')).toMatch(/Max-Age=0/);
    const after = await json(await fetch(`${t.url}/trpc/auth.me`, { headers: { cookie: `berth_session=${value}` } }));
    expect(after.result.data.user).toBeNull();
  });

  it('refuses cross-site mutations and form-encodable bodies', async () => {
    const { value } = await login('alice', TEST_PASSWORD);
    const cookie = `berth_session=${value}`;
    const evil = await post('tokens.create', { name: 'x' }, { cookie, origin: 'http://evil.example' });
    expect(evil.status).toBe(403);
    expect((await json(evil)).error.code).toBe('CSRF_REFUSED');
    const fetchSite = await post('tokens.create', { name: 'x' }, { cookie, 'sec-fetch-site': 'cross-site' });
    expect(fetchSite.status).toBe(403);
    const form = await fetch(`${t.url}/trpc/tokens.create`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'text/plain' },
      body: JSON.stringify({ name: 'x' }),
    });
    expect(form.status).toBe(403);
    const sameOrigin = await post('tokens.create', { name: 'ok' }, { cookie, origin: t.url });
    expect(sameOrigin.status).toBe(200);
  });

  it('rate-limits failed sign-ins per user and address, and audits every attempt', async () => {
    for (let i = 0; i < 3; i++) expect((await login('alice', `wrong-${i}`)).res.status).toBe(401);
    const locked = await login('alice', TEST_PASSWORD);
    expect(locked.res.status).toBe(429);
    expect((await json(locked.res)).error.data.berthCode).toBe('RATE_LIMITED');
    // Another user from the same address is not locked out.
    await t.user('bob');
    expect((await login('bob', TEST_PASSWORD)).res.status).toBe(200);
    await t.services.audit.flush();
    const attempts = await t.services.db.auditEvent.findMany({
      where: { action: 'auth.login', actorName: 'alice' },
      orderBy: { seq: 'asc' },
    });
    expect(attempts.map((a) => a.result)).toEqual(['ok', 'ok', 'error', 'error', 'error', 'error']);
    expect(attempts.at(-1)!.error).toMatch(/RATE_LIMITED/);
    expect(attempts.every((a) => a.clientIp === '127.0.0.1' && !a.params.includes('wrong-'))).toBe(true);
  });

  it('accepts an API token once issued, stores only its hash, and stops accepting it when revoked', async () => {
    const carol = await t.user('carol');
    const created = await carol.client.tokens.create.mutate({ name: 'ci', expiresInDays: 30 });
    expect(created.token).toMatch(/^berth_/);
    const row = await t.services.db.apiToken.findUnique({ where: { id: created.id } });
    expect(row!.tokenHash).toBe(sha256(created.token));
    expect(JSON.stringify(row)).not.toContain(created.token);
    expect((await carol.client.tokens.list.query()).find((x) => x.id === created.id)).not.toHaveProperty('token');
    const me = async () =>
      (await json(await fetch(`${t.url}/trpc/auth.me`, { headers: { authorization: `Bearer ${created.token}` } })))
        .result.data.user;
    expect((await me())?.username).toBe('carol');
    await carol.client.tokens.revoke.mutate({ tokenId: created.id });
    expect(await me()).toBeNull();
  });

  it('lets a one-time password do nothing but change itself', async () => {
    const made = await t.admin.client.users.create.mutate({ username: 'dave' });
    expect(made.oneTimePassword).toBeTruthy();
    const { value } = await login('dave', made.oneTimePassword!);
    const cookie = `berth_session=${value}`;
    const blocked = await fetch(`${t.url}/trpc/hosts.list`, { headers: { cookie } });
    expect((await json(blocked)).error.data.berthCode).toBe('PASSWORD_CHANGE_REQUIRED');
    const weak = await post(
      'auth.changePassword',
      { currentPassword: made.oneTimePassword, newPassword: 'short' },
      { cookie },
    );
    expect((await json(weak)).error.data.berthCode).toBe('PASSWORD_WEAK');
    const changed = await post(
      'auth.changePassword',
      { currentPassword: made.oneTimePassword, newPassword: 'a much longer password' },
      { cookie },
    );
    expect(changed.status).toBe(200);
    expect((await fetch(`${t.url}/trpc/hosts.list`, { headers: { cookie } })).status).toBe(200);
  });

  it('never writes a password, token, ticket or cookie to the log', async () => {
    const erin = await t.user('erin');
    const { value } = await login('erin', TEST_PASSWORD);
    const token = (await erin.client.tokens.create.mutate({ name: 'secret-check' })).token;
    await login('erin', 'a-wrong-password-123');
    await t.admin.client.users.update.mutate({ userId: erin.id, resetPassword: true });
    const all = logLines.join('');
    expect(logLines.length).toBeGreaterThan(0);
    for (const secret of [TEST_PASSWORD, 'a-wrong-password-123', token, value, erin.token]) {
      expect(all).not.toContain(secret);
    }
  });
});
