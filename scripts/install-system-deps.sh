#!/usr/bin/env bash
# System packages Berth needs to run and to be tested (Debian). Idempotent: skips the
# apt-get round trip when everything is already installed.
set -euo pipefail

PACKAGES=(
  runc conmon crun containernetworking-plugins iproute2 iptables attr util-linux procps  # the engine
  busybox-static zstd xz-utils bzip2 debootstrap openssl curl                                                    # test images
  docker-registry apache2-utils                                                          # registry tests
  docker.io                                                                              # dockerd, only to compare against in bench/
  postgresql                                                                             # gateway tests on PostgreSQL
  chromium                                                                               # console tests
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# The docker CLI drives berthd in the tests; docker.io ships one if the machine has none.
command -v docker >/dev/null
