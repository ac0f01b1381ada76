import { EngineError } from '../errors.js';
import type { ImageIndex, OciDescriptor } from '../types/oci.js';

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

const NODE_ARCH: Record<string, string> = {
  x64: 'amd64',
  arm64: 'arm64',
  arm: 'arm',
  ia32: '386',
  ppc64: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64',
};

/** The platform this engine runs containers for. */
export function hostPlatform(): Platform {
  return { os: 'linux', architecture: NODE_ARCH[process.arch] ?? process.arch };
}

/** containerd's normalization: aliases folded, arm64's default variant v8 dropped. */
function normalize(p: Platform): Platform {
  let architecture = p.architecture.toLowerCase();
  let variant = p.variant?.toLowerCase();
  if (architecture === 'x86_64' || architecture === 'x86-64') architecture = 'amd64';
  if (architecture === 'aarch64') architecture = 'arm64';
  if (architecture === 'arm64' && variant === 'v8') variant = undefined;
  if (architecture === 'amd64' && variant === 'v1') variant = undefined;
  return { os: p.os.toLowerCase(), architecture, ...(variant ? { variant } : {}) };
}

/** `os[/arch[/variant]]` as `--platform` gives it (`linux/arm64/v8`, `linux/amd64`). */
export function parsePlatform(spec: string | undefined): Platform | undefined {
  if (spec === undefined || spec.trim() === '') return undefined;
  const [os, architecture, variant, ...rest] = spec.trim().split('/');
  if (!os || rest.length > 0) throw new EngineError('BAD_PARAMETER', `invalid platform: ${JSON.stringify(spec)}`);
  const arch = architecture || hostPlatform().architecture;
  return normalize({ os, architecture: arch, ...(variant ? { variant } : {}) });
}

export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

/** Whether an image's (normalized) platform satisfies a wanted one; a wanted variant must match. */
export function platformMatches(wanted: Platform, have: Platform): boolean {
  const w = normalize(wanted);
  const h = normalize(have);
  if (w.os !== h.os || w.architecture !== h.architecture) return false;
  return w.variant === undefined || w.variant === h.variant;
}

/**
 * Pick the manifest for a platform from an index, as containerd's platform matcher does: exact
 * variant first, then any variant of the architecture. Attestation entries
 * (`unknown/unknown`) never match.
 */
export function selectManifest(index: ImageIndex, wanted: Platform): OciDescriptor | undefined {
  const candidates = index.manifests.filter(
    (m) => m.platform && platformMatches({ os: wanted.os, architecture: wanted.architecture }, m.platform),
  );
  const w = normalize(wanted);
  const exact = candidates.find((m) => m.platform && normalize(m.platform).variant === w.variant);
  if (exact) return exact;
  if (w.variant !== undefined) return undefined;
  return candidates[0];
}
