/**
 * snapshots: layered filesystems (containerd's vocabulary). A snapshotter prepares, views and
 * commits snapshots and RETURNS mount specs; it never mounts anything itself.
 */
export interface Mount {
  /** `overlay` or `bind`. */
  type: string;
  source: string;
  options: string[];
}

export type SnapshotKind = 'committed' | 'active' | 'view';

export interface SnapshotInfo {
  key: string;
  parent?: string;
  kind: SnapshotKind;
  created: string;
  labels: Record<string, string>;
}

export interface Usage {
  size: number;
  inodes: number;
}

export interface Snapshotter {
  /** Create a writable (active) snapshot on top of a committed parent. */
  prepare(key: string, parent?: string, labels?: Record<string, string>): Promise<Mount[]>;
  /** Create a read-only view of a committed snapshot. */
  view(key: string, parent?: string): Promise<Mount[]>;
  /** Mounts of an existing active or view snapshot. */
  mounts(key: string): Promise<Mount[]>;
  /** Turn an active snapshot into a committed one named `name`. */
  commit(name: string, key: string, labels?: Record<string, string>): Promise<void>;
  remove(key: string): Promise<void>;
  stat(key: string): Promise<SnapshotInfo | undefined>;
  usage(key: string): Promise<Usage>;
  list(): Promise<SnapshotInfo[]>;
  /**
   * The directory holding only this snapshot's own changes (overlay upperdir). Layer extraction
   * writes there directly, with whiteouts in overlay form.
   */
  upperDir(key: string): Promise<string>;
}
