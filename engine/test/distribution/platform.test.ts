import { describe, expect, it } from 'vitest';
import { parsePlatform, selectManifest } from '../../src/distribution/platform.js';
import type { ImageIndex } from '../../src/types/oci.js';

const d = (n: number) => `sha256:${String(n).repeat(64).slice(0, 64)}`;

describe('platform', () => {
  it('parses --platform like containerd', () => {
    expect(parsePlatform('linux/arm64/v8')).toEqual({ os: 'linux', architecture: 'arm64' });
    expect(parsePlatform('linux/arm/v7')).toEqual({ os: 'linux', architecture: 'arm', variant: 'v7' });
    expect(parsePlatform('linux/x86_64')).toEqual({ os: 'linux', architecture: 'amd64' });
    expect(parsePlatform(undefined)).toBeUndefined();
    expect(() => parsePlatform('linux/amd64/v1/x')).toThrow(/invalid platform/);
  });

  it('selects from an index, skipping attestations and honouring variants', () => {
    const index: ImageIndex = {
      schemaVersion: 2,
      manifests: [
        { mediaType: 'm', digest: d(1), size: 1, platform: { os: 'unknown', architecture: 'unknown' } },
        { mediaType: 'm', digest: d(2), size: 1, platform: { os: 'linux', architecture: 'arm', variant: 'v6' } },
        { mediaType: 'm', digest: d(3), size: 1, platform: { os: 'linux', architecture: 'arm', variant: 'v7' } },
        { mediaType: 'm', digest: d(4), size: 1, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
        { mediaType: 'm', digest: d(5), size: 1, platform: { os: 'linux', architecture: 'amd64' } },
      ],
    };
    expect(selectManifest(index, { os: 'linux', architecture: 'amd64' })?.digest).toBe(d(5));
    expect(selectManifest(index, { os: 'linux', architecture: 'arm64' })?.digest).toBe(d(4));
    expect(selectManifest(index, { os: 'linux', architecture: 'arm', variant: 'v7' })?.digest).toBe(d(3));
    expect(selectManifest(index, { os: 'linux', architecture: 'arm', variant: 'v5' })).toBeUndefined();
    expect(selectManifest(index, { os: 'linux', architecture: 's390x' })).toBeUndefined();
  });
});
