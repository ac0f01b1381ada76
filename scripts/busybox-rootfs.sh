#!/usr/bin/env bash
# Write a busybox-static root filesystem tar to $1 (there is no Docker Hub here: the demo and
# test images are built from Debian's busybox-static).
set -euo pipefail
out=${1:?usage: busybox-rootfs.sh OUT.tar}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir"/{bin,sbin,usr/bin,usr/sbin,etc,tmp,root,home/app,proc,sys,dev,var/www}
chmod 1777 "$dir/tmp"
cp /bin/busybox "$dir/bin/busybox"
for applet in $(/bin/busybox --list); do
  [ "$applet" = busybox ] || ln -sf busybox "$dir/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$dir/etc/passwd"
printf 'root:x:0:\napp:x:1000:\nnogroup:x:65534:\n' > "$dir/etc/group"
chown 1000:1000 "$dir/home/app"
echo '<h1>Hello from Berth</h1>' > "$dir/var/www/index.html"
tar -C "$dir" --numeric-owner -cf "$out" .
