import { describe, expect, it } from 'vitest';
import { CSV_HEADER, toCsvLine, toJsonLine } from '../../src/audit/export.js';
import { redact } from '../../src/audit/redact.js';

const row = {
  id: 1,
  seq: 1,
  time: new Date('2026-01-02T03:04:05.678Z'),
  actorId: 'u',
  actorName: '=cmd|calc',
  action: 'containers.create',
  hostId: 'h',
  hostName: 'one',
  target: 'web, "front"',
  params: '{"a":"line1\\nline2"}',
  result: 'ok',
  error: null,
  clientIp: '::1',
  prevHash: '0',
  hash: 'f',
};

describe('audit export', () => {
  it('writes one JSON object per line', () => {
    const line = toJsonLine(row);
    expect(line.endsWith('\n')).toBe(true);
    expect(JSON.parse(line)).toMatchObject({ id: 1, time: '2026-01-02T03:04:05.678Z', target: 'web, "front"' });
  });

  it('quotes CSV fields and defuses spreadsheet formulas', () => {
    expect(CSV_HEADER.split(',')[0]).toBe('id');
    const line = toCsvLine(row);
    expect(line).toContain(",'=cmd|calc,");
    expect(line).toContain('"web, ""front"""');
    expect(line).toContain('2026-01-02T03:04:05.678Z');
    expect(line.endsWith('\r\n')).toBe(true);
  });
});

describe('redact', () => {
  it('removes secrets by key and keeps env names only', () => {
    expect(redact({ password: 'x', newPassword: 'y', apiKey: 'k', token: 't', name: 'n', env: ['A=1'] })).toEqual({
      password: '[redacted]',
      newPassword: '[redacted]',
      apiKey: '[redacted]',
      token: '[redacted]',
      name: 'n',
      env: ['A=[redacted]'],
    });
  });
});
