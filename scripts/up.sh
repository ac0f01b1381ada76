#!/usr/bin/env bash
# Bring Berth up on this machine: system packages, npm dependencies, build, berthd with a demo
# image. Needs root (containers). Safe to run again: it reuses what is there.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DATA=${BERTH_DATA:-$ROOT/.data}
SOCK=${BERTH_SOCK:-/run/berth/berthd.sock}

./scripts/install-system-deps.sh
[ -d node_modules ] || npm ci --no-audit --no-fund
npm run build

mkdir -p "$DATA"
if ! curl -sf --unix-socket "$SOCK" http://berthd/_ping >/dev/null 2>&1; then
  nohup engine/bin/berthd --data-root "$DATA/berthd" --host "unix://$SOCK" >>"$DATA/berthd.log" 2>&1 &
  for _ in $(seq 100); do curl -sf --unix-socket "$SOCK" http://berthd/_ping >/dev/null 2>&1 && break; sleep 0.1; done
fi
curl -sf --unix-socket "$SOCK" http://berthd/_ping >/dev/null || { echo "berthd did not start; see $DATA/berthd.log" >&2; exit 1; }

export DOCKER_HOST=unix://$SOCK
if ! docker image inspect berth-demo:latest >/dev/null 2>&1; then
  ./scripts/busybox-rootfs.sh "$DATA/busybox.tar"
  docker import -c 'CMD ["/bin/sh"]' "$DATA/busybox.tar" berth-demo:latest >/dev/null
fi

echo "berthd is up: DOCKER_HOST=unix://$SOCK docker run --rm berth-demo echo hi"
