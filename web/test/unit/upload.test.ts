import { describe, expect, it } from 'vitest';
import { summarizeLoad, uploadError, uploadUrl } from '@/lib/upload';

describe('uploadUrl', () => {
  it('posts archives to load and root filesystems to import with repo and tag', () => {
    expect(uploadUrl('h1', 'load', 'ignored')).toBe('/api/hosts/h1/images/load');
    expect(uploadUrl('h1', 'import', 'team/app:1.2')).toBe('/api/hosts/h1/images/import?repo=team%2Fapp&tag=1.2');
    expect(uploadUrl('h1', 'import', 'registry.local:5000/app')).toBe(
      '/api/hosts/h1/images/import?repo=registry.local%3A5000%2Fapp&tag=latest',
    );
  });
});

describe('summarizeLoad', () => {
  it('collects what the engine said', () => {
    expect(summarizeLoad('{"stream":"Loaded image: busybox:latest\\n"}\n')).toEqual({
      ok: true,
      text: 'Loaded image: busybox:latest',
    });
    expect(summarizeLoad('{"status":"sha256:abc"}\n')).toEqual({ ok: true, text: 'sha256:abc' });
  });
  it('treats an error line as failure even after HTTP 200', () => {
    expect(summarizeLoad('{"stream":"x"}\n{"errorDetail":{"message":"bad tar"},"error":"bad tar"}')).toEqual({
      ok: false,
      text: 'bad tar',
    });
  });
});

describe('uploadError', () => {
  it('prefers the JSON message and falls back to the text', () => {
    expect(uploadError(403, '{"error":{"message":"requires the operator role on host a"}}')).toBe(
      'requires the operator role on host a (HTTP 403)',
    );
    expect(uploadError(502, 'Bad gateway')).toBe('Bad gateway (HTTP 502)');
    expect(uploadError(500, '')).toBe('upload failed (HTTP 500)');
  });
});
