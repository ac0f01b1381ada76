import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

export const CACHE_DIR = '/var/cache/berth-test';
export const MINBASE_TAR = `${CACHE_DIR}/bookworm-minbase.tar`;

/** The Debian mirror apt is configured with (the only one reachable here). */
function mirror(): string {
  for (const file of ['/etc/apt/sources.list.d/debian.sources', '/etc/apt/sources.list']) {
    if (!existsSync(file)) continue;
    const text = readFileSync(file, 'utf8');
    const uri =
      /^URIs:\s*(\S+\/debian)\s*$/m.exec(text)?.[1] ??
      /^deb\s+(?:\[[^\]]*\]\s+)?(\S+\/debian)\s+bookworm/m.exec(text)?.[1];
    if (uri) return uri;
  }
  return 'http://deb.debian.org/debian';
}

// Built under a lock so parallel test files (or CI jobs) build it once; device nodes and the
// pseudo filesystems are left out, as image builds do.
const SCRIPT = `set -e
out="$1"; mirror="$2"
[ -s "$out" ] && exit 0
tmp=$(mktemp -d /var/tmp/berth-debootstrap.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
if ! debootstrap --variant=minbase bookworm "$tmp/rootfs" "$mirror" >"$tmp/log" 2>&1; then tail -30 "$tmp/log" >&2; exit 1; fi
tar -C "$tmp/rootfs" --numeric-owner --exclude=./dev/* --exclude=./proc/* --exclude=./sys/* -cf "$out.tmp" .
mv "$out.tmp" "$out"
`;

/**
 * A `debootstrap --variant=minbase bookworm` rootfs as a tar, cached in /var/cache/berth-test
 * (about 30 s to build once, from apt's configured mirror).
 */
export async function minbaseRootfsTar(): Promise<string> {
  if (existsSync(MINBASE_TAR)) return MINBASE_TAR;
  await run('mkdir', ['-p', CACHE_DIR]);
  await run('flock', [`${CACHE_DIR}/.minbase.lock`, 'sh', '-c', SCRIPT, 'sh', MINBASE_TAR, mirror()]);
  return MINBASE_TAR;
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const proc = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    proc.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    proc.on('error', reject);
    proc.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} exited ${code}: ${err}`))));
  });
}
