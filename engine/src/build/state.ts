import { hostArchitecture } from '../images/blobs.js';
import type { ImageWithConfig } from '../images/types.js';
import type { ImageConfig } from '../types/oci.js';
import type { ConfigState } from './config.js';

/** A stage being built: its current image and the config the next commit will carry. */
export interface StageState extends ConfigState {
  /** Current image id; undefined while a `FROM scratch` stage has committed nothing. */
  imageId: string | undefined;
  /** Platform fields carried into every image of the stage. */
  platform: { architecture: string; os: string; variant?: string };
}

export function newStageState(base: ImageWithConfig | undefined): StageState {
  const platform: StageState['platform'] = {
    architecture: base?.config.architecture || hostArchitecture(),
    os: base?.config.os || 'linux',
  };
  if (base?.config.variant) platform.variant = base.config.variant;
  return { imageId: base?.id, config: structuredClone(base?.config.config ?? {}), cmdSet: false, platform };
}

/** The config for `images.commit` (it replaces rootfs and history with the parent's plus the step). */
export function imageConfigOf(state: StageState): ImageConfig {
  return { ...state.platform, config: structuredClone(state.config), rootfs: { type: 'layers', diff_ids: [] } };
}

export function envKey(entry: string): string {
  const i = entry.indexOf('=');
  return i < 0 ? entry : entry.slice(0, i);
}
