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

# The gateway serves the console (Next.js) and the API on one origin, with the local berthd
# registered as host "local". On first start it creates the admin and prints the password once.
PORT=${BERTH_PORT:-8080}
if ! curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1; then
  nohup gateway/bin/berth-gateway serve --data-dir "$DATA/gateway" --listen "127.0.0.1:$PORT" \
    --web "$ROOT/web" --register-local "unix://$SOCK" >>"$DATA/gateway.log" 2>&1 &
  for _ in $(seq 300); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
fi

echo
echo "berthd:  DOCKER_HOST=unix://$SOCK docker run --rm berth-demo echo hi"
echo "console: http://127.0.0.1:$PORT"
if grep -q "admin password" "$DATA/gateway.log" 2>/dev/null; then
  grep -h "admin user\|admin password" "$DATA/gateway.log" | tail -n 2
  # Shown once: the one-time password must not stay in a log file.
  sed -i '/admin password/d' "$DATA/gateway.log"
else
  echo "admin: the existing account (gateway/bin/berth-gateway users reset-password admin gives a new one-time password)"
fi
