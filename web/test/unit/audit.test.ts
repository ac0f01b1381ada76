import { describe, expect, it } from 'vitest';
import {
  EMPTY_AUDIT_FILTER,
  exportHref,
  filterFromParams,
  filterToInput,
  filterToParams,
  sessionOf,
} from '@/lib/audit';

describe('audit filters', () => {
  it('round-trips through the URL, dropping empty fields', () => {
    const f = { ...EMPTY_AUDIT_FILTER, actor: 'alice', action: 'containers.start' };
    const p = filterToParams(f);
    expect(p.toString()).toBe('actor=alice&action=containers.start');
    expect(filterFromParams(p)).toEqual(f);
  });
  it('turns local datetime inputs into ISO instants for the API and the export link', () => {
    const f = { ...EMPTY_AUDIT_FILTER, from: '2024-05-01T10:00', hostId: 'h1' };
    const iso = new Date('2024-05-01T10:00').toISOString();
    expect(filterToInput(f)).toEqual({
      actor: undefined,
      action: undefined,
      hostId: 'h1',
      target: undefined,
      from: iso,
      to: undefined,
    });
    expect(exportHref('csv', f)).toBe(`/api/audit/export?format=csv&hostId=h1&from=${encodeURIComponent(iso)}`);
  });
});

describe('sessionOf', () => {
  it('finds the shell session in an event’s params', () => {
    expect(sessionOf('{"hostId":"h","containerId":"c","sessionId":"s1"}')).toBe('s1');
    expect(sessionOf('{"hostId":"h"}')).toBeNull();
    expect(sessionOf('not json')).toBeNull();
  });
});
