import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GENESIS_HASH } from '../../src/audit/chain.js';
import { AuditLog } from '../../src/audit/log.js';
import { openTestDatabase } from '../support/db.js';
import { provider } from '../support/gateway.js';

let database: Awaited<ReturnType<typeof openTestDatabase>>;
let audit: AuditLog;

beforeAll(async () => {
  database = await openTestDatabase();
});
afterAll(() => database.cleanup());
beforeEach(async () => {
  await database.db.auditEvent.deleteMany({});
  audit = new AuditLog(database.db, database.provider);
});

const entry = (i: number) => ({
  actorId: 'u1',
  actorName: i % 2 ? 'alice' : 'bob',
  action: i % 3 ? 'containers.stop' : 'containers.start',
  hostId: i % 2 ? 'h1' : 'h2',
  hostName: i % 2 ? 'one' : 'two',
  target: `c${i}`,
  params: { id: `c${i}`, password: 'hunter2hunter2' },
  result: 'ok' as const,
  clientIp: '127.0.0.1',
});

describe(`audit log (${provider})`, () => {
  it('chains every event to the one before it', async () => {
    const a = await audit.append(entry(1));
    const b = await audit.append(entry(2));
    expect(a.seq).toBe(1);
    expect(a.prevHash).toBe(GENESIS_HASH);
    expect(b.seq).toBe(2);
    expect(b.prevHash).toBe(a.hash);
    expect(await audit.verify()).toEqual({ ok: true, count: 2 });
  });

  it('never stores secrets in parameters', async () => {
    const e = await audit.append({
      ...entry(1),
      params: { password: 'hunter2hunter2', env: ['DB_PASSWORD=s3cret', 'MODE=x'], nested: { token: 'abc' } },
    });
    expect(e.params).not.toContain('hunter2');
    expect(e.params).not.toContain('s3cret');
    expect(e.params).not.toContain('abc');
    expect(JSON.parse(e.params)).toEqual({
      password: '[redacted]',
      env: ['DB_PASSWORD=[redacted]', 'MODE=[redacted]'],
      nested: { token: '[redacted]' },
    });
  });

  it('loses no event and does not fork under 200 concurrent appends', async () => {
    await Promise.all(Array.from({ length: 200 }, (_, i) => audit.append(entry(i))));
    const rows = await database.db.auditEvent.findMany({ orderBy: { seq: 'asc' } });
    expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(new Set(rows.map((r) => r.prevHash)).size).toBe(200);
    expect(await audit.verify()).toEqual({ ok: true, count: 200 });
  });

  it('does not fork when two writers (two gateway processes) share the database', async () => {
    const other = new AuditLog(database.db, database.provider);
    await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? audit : other).append(entry(i))));
    expect(await audit.verify()).toEqual({ ok: true, count: 40 });
  });

  it('names the edited row when a stored event is altered', async () => {
    for (let i = 0; i < 5; i++) await audit.append(entry(i));
    const third = await database.db.auditEvent.findFirstOrThrow({ where: { seq: 3 } });
    await database.db.auditEvent.update({ where: { id: third.id }, data: { actorName: 'mallory' } });
    const result = await audit.verify();
    expect(result).toMatchObject({ ok: false, firstBrokenId: third.id, firstBrokenSeq: 3, count: 2 });
    expect(result.reason).toMatch(/altered/);
  });

  it('names the gap when a row is deleted', async () => {
    for (let i = 0; i < 5; i++) await audit.append(entry(i));
    const second = await database.db.auditEvent.findFirstOrThrow({ where: { seq: 2 } });
    const third = await database.db.auditEvent.findFirstOrThrow({ where: { seq: 3 } });
    await database.db.auditEvent.delete({ where: { id: second.id } });
    const result = await audit.verify();
    expect(result).toMatchObject({ ok: false, firstBrokenId: third.id, count: 1 });
    expect(result.reason).toMatch(/#2 before #3.*missing/);
  });

  it('detects a row re-hashed after editing (the next link breaks)', async () => {
    for (let i = 0; i < 4; i++) await audit.append(entry(i));
    const { hashEvent } = await import('../../src/audit/chain.js');
    const row = await database.db.auditEvent.findFirstOrThrow({ where: { seq: 2 } });
    const forged = { ...row, result: 'error' };
    await database.db.auditEvent.update({ where: { id: row.id }, data: { result: 'error', hash: hashEvent(forged) } });
    const next = await database.db.auditEvent.findFirstOrThrow({ where: { seq: 3 } });
    expect(await audit.verify()).toMatchObject({ ok: false, firstBrokenId: next.id });
  });

  it('filters by actor, action (exact or prefix), host, target and time', async () => {
    for (let i = 0; i < 12; i++) await audit.append(entry(i));
    const all = await audit.list({});
    expect(all.events).toHaveLength(12);
    expect(all.events[0]!.seq).toBe(12); // newest first
    expect((await audit.list({ actor: 'alice' })).events.every((e) => e.actorName === 'alice')).toBe(true);
    expect((await audit.list({ action: 'containers.start' })).events).toHaveLength(4);
    expect((await audit.list({ action: 'containers.' })).events).toHaveLength(12);
    expect((await audit.list({ hostId: 'h2' })).events.every((e) => e.hostId === 'h2')).toBe(true);
    expect((await audit.list({ target: 'c1' })).events.map((e) => e.target).sort()).toEqual(['c1', 'c10', 'c11']);
    const future = new Date(Date.now() + 60_000);
    expect((await audit.list({ from: future })).events).toHaveLength(0);
    expect((await audit.list({ to: future })).events).toHaveLength(12);
    const page1 = await audit.list({}, { limit: 5 });
    const page2 = await audit.list({}, { limit: 5, cursor: page1.nextCursor! });
    expect(page2.events[0]!.seq).toBe(7);
    const exported = [];
    for await (const e of audit.iterate({ actor: 'bob' })) exported.push(e.seq);
    expect(exported).toEqual([1, 3, 5, 7, 9, 11]);
  });
});
