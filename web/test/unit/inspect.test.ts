import { describe, expect, it } from 'vitest';
import { commandLine, engineTime, envEntries, portBindings } from '@/lib/inspect';

describe('inspect helpers', () => {
  it('joins entrypoint and cmd', () => {
    expect(commandLine({ config: { entrypoint: ['/init'], cmd: ['sleep', '60'] } as never })).toBe('/init sleep 60');
  });
  it('formats published and exposed ports once each', () => {
    expect(
      portBindings({
        ports: [
          { privatePort: 80, publicPort: 8080, type: 'tcp', ip: '0.0.0.0' },
          { privatePort: 80, publicPort: 8080, type: 'tcp', ip: '0.0.0.0' },
          { privatePort: 53, publicPort: 5353, type: 'udp', ip: '127.0.0.1' },
          { privatePort: 9000, publicPort: null, type: 'tcp', ip: null },
        ],
      }),
    ).toEqual(['8080→80/tcp', '127.0.0.1:5353→53/udp', '9000/tcp']);
  });
  it('splits env at the first =', () => {
    expect(envEntries({ config: { env: ['A=1', 'URL=x=y', 'BARE'] } as never })).toEqual([
      { key: 'A', value: '1' },
      { key: 'URL', value: 'x=y' },
      { key: 'BARE', value: '' },
    ]);
  });
  it("treats Go's zero time as never", () => {
    expect(engineTime('0001-01-01T00:00:00Z')).toBeNull();
    expect(engineTime('2024-01-01T00:00:00Z')).toBe('2024-01-01T00:00:00Z');
  });
});
