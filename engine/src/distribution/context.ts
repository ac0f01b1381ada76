import type { ContentStore } from '../content/types.js';
import type { ImageService } from '../images/types.js';
import type { Logger } from '../log.js';
import type { BlobSources } from './sources.js';
import type { Endpoints } from './transport.js';

/** What pull and push share, owned by one Distribution. */
export interface DistributionContext {
  content: ContentStore;
  images: ImageService;
  log: Logger | undefined;
  endpoints: Endpoints;
  sources: BlobSources;
  /** Blob downloads in flight, by digest: a second pull of the same blob waits for the first. */
  inflight: Map<string, Promise<unknown>>;
  /** Parallel layer transfers per pull or push. */
  concurrency: number;
}
