import { describe, expect, it } from 'vitest';
import { parseCpus, parseEnv, parseMemory, parsePorts, parseVolumes } from '@/lib/runForm';

describe('parsePorts', () => {
  it('accepts the docker run -p forms', () => {
    expect(parsePorts('80\n8080:80\n127.0.0.1:5353:53/udp\n127.0.0.1::9000\n# comment\n')).toEqual([
      { containerPort: 80, protocol: 'tcp' },
      { hostPort: 8080, containerPort: 80, protocol: 'tcp' },
      { hostIp: '127.0.0.1', hostPort: 5353, containerPort: 53, protocol: 'udp' },
      { hostIp: '127.0.0.1', hostPort: undefined, containerPort: 9000, protocol: 'tcp' },
    ]);
  });
  it('names the bad line', () => {
    expect(() => parsePorts('80\n8080:99999')).toThrow('line 2: "99999" is not a port');
    expect(() => parsePorts('80/sctp')).toThrow(/tcp or udp/);
  });
});

describe('parseVolumes', () => {
  it('accepts named volumes and bind mounts with modes', () => {
    expect(parseVolumes('data:/var/lib/data\n/srv/www:/usr/share/www:ro')).toEqual([
      { source: 'data', target: '/var/lib/data', readOnly: false },
      { source: '/srv/www', target: '/usr/share/www', readOnly: true },
    ]);
  });
  it('rejects relative targets and bad modes', () => {
    expect(() => parseVolumes('data:var')).toThrow(/absolute/);
    expect(() => parseVolumes('data:/x:rx')).toThrow(/expected/);
  });
});

describe('parseEnv', () => {
  it('keeps = in values and rejects bad names', () => {
    expect(parseEnv('A=1\nURL=http://x/?a=b')).toEqual(['A=1', 'URL=http://x/?a=b']);
    expect(() => parseEnv('1A=x')).toThrow(/not a variable name/);
    expect(() => parseEnv('NOVALUE')).toThrow(/KEY=value/);
  });
});

describe('limits', () => {
  it('parses memory sizes to bytes', () => {
    expect(parseMemory('')).toBeUndefined();
    expect(parseMemory('512m')).toBe(512 * 1024 * 1024);
    expect(parseMemory('1.5G')).toBe(1.5 * 1024 ** 3);
    expect(parseMemory('64MiB')).toBe(64 * 1024 * 1024);
    expect(() => parseMemory('1k')).toThrow(/minimum/);
    expect(() => parseMemory('lots')).toThrow(/unit/);
  });
  it('parses cpus', () => {
    expect(parseCpus('0.5')).toBe(0.5);
    expect(() => parseCpus('-1')).toThrow();
  });
});
