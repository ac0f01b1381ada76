import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { detectCompression } from '../archive/decompress.js';
import type { ContentStore } from '../content/types.js';
import { EngineError } from '../errors.js';
import { MediaTypes, type OciDescriptor } from '../types/oci.js';

/** Store a JSON document as a blob; the bytes are exactly what gets hashed and served. */
export async function putJson(content: ContentStore, value: unknown, mediaType: string): Promise<OciDescriptor> {
  const bytes = Buffer.from(JSON.stringify(value));
  const desc = await content.ingest(Readable.from([bytes]));
  return { mediaType, digest: desc.digest, size: desc.size };
}

export async function readJsonBlob<T>(content: ContentStore, digest: string, what: string): Promise<T> {
  const buf = await content.readBuffer(digest);
  try {
    return JSON.parse(buf.toString('utf8')) as T;
  } catch {
    throw new EngineError('INVALID_ARCHIVE', `${what} ${digest} is not valid JSON`);
  }
}

/** OCI layer media type of a stored layer blob, from its magic bytes. */
export async function layerMediaType(content: ContentStore, digest: string): Promise<string> {
  const fh = await open(content.path(digest), 'r');
  try {
    const head = Buffer.alloc(4);
    await fh.read(head, 0, 4, 0);
    const c = detectCompression(head);
    return c === 'gzip' ? MediaTypes.ociLayerGzip : c === 'zstd' ? MediaTypes.ociLayerZstd : MediaTypes.ociLayer;
  } finally {
    await fh.close();
  }
}

/** GOARCH of this machine (image configs use Go's names). */
export function hostArchitecture(): string {
  const map: Record<string, string> = {
    x64: 'amd64',
    arm64: 'arm64',
    arm: 'arm',
    ia32: '386',
    ppc64: 'ppc64le',
    s390x: 's390x',
  };
  return map[process.arch] ?? process.arch;
}
