import { describe, expect, it } from 'vitest';
import { isEngineError } from '../../src/errors.js';
import { applyChanges } from '../../src/images/changes.js';
import { familiarString, normalizeReference, normalizeTag, parseReference } from '../../src/images/reference.js';

const digest = `sha256:${'a'.repeat(64)}`;

describe('references', () => {
  it('normalizes familiar names as Docker does and shows them back', () => {
    expect(normalizeReference('busybox')).toBe('docker.io/library/busybox:latest');
    expect(normalizeReference('busybox:1.36')).toBe('docker.io/library/busybox:1.36');
    expect(normalizeReference('me/app')).toBe('docker.io/me/app:latest');
    expect(normalizeReference('localhost:5000/app:v1')).toBe('localhost:5000/app:v1');
    expect(normalizeReference(`busybox@${digest}`)).toBe(`docker.io/library/busybox@${digest}`);
    expect(parseReference('127.0.0.1:5000/x/y:t')).toEqual({ name: '127.0.0.1:5000/x/y', tag: 't' });
    expect(familiarString('docker.io/library/busybox:latest')).toBe('busybox:latest');
    expect(familiarString('docker.io/me/app:v1')).toBe('me/app:v1');
    expect(familiarString('localhost:5000/app:v1')).toBe('localhost:5000/app:v1');
    expect(familiarString(`docker.io/library/busybox@${digest}`)).toBe(`busybox@${digest}`);
    expect(normalizeTag('busybox', 'v2')).toBe('docker.io/library/busybox:v2');
  });

  it('refuses invalid references', () => {
    for (const bad of ['UPPER', 'a:b:c', 'a'.repeat(64), '-x', 'busybox:bad tag']) {
      expect(() => normalizeReference(bad), bad).toThrow();
      try {
        normalizeReference(bad);
      } catch (err) {
        expect(isEngineError(err, 'INVALID_REFERENCE')).toBe(true);
      }
    }
    expect(() => normalizeTag('busybox', 'bad tag')).toThrow();
  });
});

describe('--change', () => {
  it('applies JSON and shell forms of every supported instruction', () => {
    const cfg = applyChanges({ Env: ['PATH=/bin', 'A=old'] }, [
      'CMD ["sh", "-c", "echo hi"]',
      'ENTRYPOINT /entry.sh --flag',
      'ENV A=new B="two words"',
      'ENV C legacy value',
      'WORKDIR /srv/app',
      'USER app:app',
      'EXPOSE 80 53/udp',
      'LABEL org.x=y "spaced key"=v',
      'VOLUME ["/data", "/logs"]',
      'VOLUME /cache',
      'STOPSIGNAL SIGINT',
    ]);
    expect(cfg).toEqual({
      Env: ['PATH=/bin', 'A=new', 'B=two words', 'C=legacy value'],
      Cmd: ['sh', '-c', 'echo hi'],
      Entrypoint: ['/bin/sh', '-c', '/entry.sh --flag'],
      WorkingDir: '/srv/app',
      User: 'app:app',
      ExposedPorts: { '80/tcp': {}, '53/udp': {} },
      Labels: { 'org.x': 'y', 'spaced key': 'v' },
      Volumes: { '/data': {}, '/logs': {}, '/cache': {} },
      StopSignal: 'SIGINT',
    });
    expect(() => applyChanges({}, ['RUN rm -rf /'])).toThrow(/not a valid change command/);
  });
});
