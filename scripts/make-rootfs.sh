#!/bin/sh
# Make a minimal rootfs from Debian's busybox-static: DEST/bin/busybox plus
# one symlink per applet, and the usual top-level directories.
set -eu
dest=${1:?usage: make-rootfs.sh DEST}
bb=/bin/busybox
[ -x "$bb" ] || { echo "make-rootfs: $bb missing (apt-get install busybox-static)" >&2; exit 1; }
file -L "$bb" 2>/dev/null | grep -q 'statically linked' || ldd "$bb" 2>&1 | grep -q 'not a dynamic' ||
  { echo "make-rootfs: $bb is not static (install busybox-static)" >&2; exit 1; }
mkdir -p "$dest"
for d in bin sbin etc proc sys dev tmp root usr/bin usr/sbin var/tmp run; do mkdir -p "$dest/$d"; done
cp "$bb" "$dest/bin/busybox"
for a in $("$bb" --list); do
  [ "$a" = busybox ] || ln -sf busybox "$dest/bin/$a"
done
chmod 1777 "$dest/tmp" "$dest/var/tmp"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$dest/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$dest/etc/group"
echo husk-demo >"$dest/etc/hostname"
