import type { Readable } from 'node:stream';
import type { Mount } from '../snapshots/types.js';
import type { ImageConfig, ImageManifest } from '../types/oci.js';

/** An image as the engine knows it: its id is the config digest (as Docker's). */
export interface ImageRecord {
  id: string; // sha256:<config digest hex>
  repoTags: string[]; // normalized, e.g. "docker.io/library/busybox:latest" shown familiar by the API
  repoDigests: string[]; // "name@sha256:…" of the manifest as pulled or pushed
  manifestDigest: string; // digest of the manifest blob in the content store
  created: string; // RFC 3339
  size: number; // sum of uncompressed layer sizes
  /** chainIDs of the committed snapshots, bottom first. */
  chainIds: string[];
  lastTagTime?: string;
  /** The image this one was committed or built on here (Docker's local `Parent`); absent for pulled/loaded images. */
  parent?: string;
}

export interface ImageWithConfig extends ImageRecord {
  config: ImageConfig;
  manifest: ImageManifest;
}

/** One JSON-progress message, the shape the docker CLI renders (load, pull, push, import). */
export interface ProgressEvent {
  status?: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
  progress?: string;
  stream?: string;
  error?: string;
  errorDetail?: { message: string };
  aux?: unknown;
}

export type ProgressFn = (event: ProgressEvent) => void;

export interface ImportOptions {
  /** "repo[:tag]" or undefined for an untagged image. */
  reference?: string;
  /** Dockerfile-like changes: CMD, ENTRYPOINT, ENV, WORKDIR, USER, EXPOSE, LABEL, VOLUME, STOPSIGNAL. */
  changes?: string[];
  message?: string;
  platform?: string;
}

export interface RemoveResult {
  Untagged?: string;
  Deleted?: string;
}

export interface ImageFilters {
  /** Docker's `filters` map: dangling, label, before, since, reference. */
  [key: string]: string[];
}

/** A container that uses an image, as the daemon reports it to the image store. */
export interface ImageUser {
  containerId: string;
  running: boolean;
}

/** Given by the daemon: which container (if any) uses an image; running ones take precedence. */
export type ImageInUseFn = (imageId: string) => ImageUser | undefined | Promise<ImageUser | undefined>;

/**
 * images: the image store in Docker's terms, built on content + snapshots.
 * `inUse` is given by the daemon so the store can refuse to remove an image a container uses.
 */
export interface ImageService {
  list(filters?: ImageFilters, all?: boolean): Promise<ImageRecord[]>;
  /** By id, short id, name[:tag], or name@digest; throws NO_SUCH_IMAGE. */
  get(ref: string): Promise<ImageWithConfig>;
  importRootfs(tar: Readable, opts: ImportOptions, progress?: ProgressFn): Promise<ImageRecord>;
  /** docker-archive (manifest.json) or OCI image layout; returns the "Loaded image…" lines. */
  load(tar: Readable, progress?: ProgressFn): Promise<string[]>;
  /** docker-archive plus OCI layout (index.json, oci-layout) in one tar, as dockerd 25+ writes. */
  save(refs: string[]): Promise<Readable>;
  tag(source: string, repo: string, tag?: string): Promise<void>;
  remove(ref: string, opts: { force?: boolean; noprune?: boolean }): Promise<RemoveResult[]>;
  history(
    ref: string,
  ): Promise<
    { Id: string; Created: number; CreatedBy: string; Tags: string[] | null; Size: number; Comment: string }[]
  >;
  prune(opts: {
    dangling: boolean;
    filters?: ImageFilters;
  }): Promise<{ ImagesDeleted: RemoveResult[]; SpaceReclaimed: number }>;
  /** Prepare a container's writable rootfs snapshot (key = container id) over the image's layers. */
  prepareRootfs(imageId: string, key: string): Promise<Mount[]>;
  /** Create a new image from a container's snapshot changes (docker commit / build steps). */
  commit(
    key: string,
    parentImageId: string | undefined,
    config: ImageConfig,
    opts: {
      reference?: string;
      createdBy?: string;
      comment?: string;
      author?: string;
      emptyLayer?: boolean;
      /** Layer blob compression (default gzip, as dockerd/containerd write). */
      compression?: 'gzip' | 'none';
    },
  ): Promise<ImageRecord>;
  diskUsage(): Promise<{ layersSize: number }>;
  /**
   * Register an image whose manifest, config and layer blobs are already in the content store
   * (used by registry pulls): unpacks the layers not yet unpacked, records the image, tags it.
   */
  createFromManifest(
    manifestDigest: string,
    opts: { reference?: string; repoDigest?: string },
    progress?: ProgressFn,
  ): Promise<ImageRecord>;
  /**
   * Start extracting layer `i` (of an image with these diffIDs) from `source` as it downloads;
   * false when it cannot start now (then `source` must not be fed). `onSettled` tells whether it
   * succeeded, so the feeder stops feeding an extraction that gave up. See Unpacker.
   */
  unpackWhileDownloading?(
    diffIds: string[],
    i: number,
    source: AsyncIterable<Uint8Array>,
    onSettled: (ok: boolean) => void,
  ): Promise<boolean>;
}
