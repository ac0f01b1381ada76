/** Volumes for berthd: the local-driver store and Docker's mount rules (-v, --mount, --tmpfs, VOLUME). */

export { copyUp } from './copy-up.js';
export {
  type OciMount,
  ociMounts,
  populateVolumes,
  prepareMounts,
  type ResolvedMounts,
  type ResolveMountsOptions,
  releaseMounts,
  removeAnonymousVolumes,
  resolveMounts,
} from './mounts.js';
export { parseBind, parseMountSpec, validateMountSpec } from './parse.js';
export { ANONYMOUS_LABEL, type CreateVolumeOptions, type Volume, type VolumeRefs, VolumeStore } from './store.js';
