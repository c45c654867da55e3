#!/bin/sh
# Install the container managers that tests/clients/ drives husk with:
# podman, containerd (+ ctr, containerd-shim-runc-v2) and docker.io, all
# from Debian 12.  Needs root.  Safe to run again.
#
# docker.io is unpacked, not installed: its postinst runs
# `invoke-rc.d docker start`, which on a machine without systemd starts a
# dockerd on /var/lib/docker.  The tests start their own dockerd instead.
# Its dependencies (containerd, iptables, tini, runc) are installed normally.
#
#   HUSK_DOCKER_DIR   where docker.io is unpacked (default /opt/husk-clients/docker.io)
set -eu

docker_dir=${HUSK_DOCKER_DIR:-/opt/husk-clients/docker.io}

if [ "$(id -u)" != 0 ]; then
  echo "clients-setup: needs root (apt-get)" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt_opts="-y -q -o DPkg::Lock::Timeout=600"

# podman's network stack: netavark (+aardvark-dns) is what Debian 12 recommends
# and what podman 4.3 picks on a fresh install; it programs iptables.
pkgs="podman conmon netavark aardvark-dns containernetworking-plugins
      containerd iptables tini runc tmux"

missing=""
for p in $pkgs; do
  dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
  apt-get update -q -o DPkg::Lock::Timeout=600 >/dev/null
  # shellcheck disable=SC2086
  apt-get install $apt_opts --no-install-recommends $missing
fi

# docker.io: fetch the .deb and unpack it (no maintainer scripts run).
if [ ! -x "$docker_dir/usr/sbin/dockerd" ]; then
  tmp=$(mktemp -d /tmp/clients-setup.XXXXXX)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && apt-get download -q docker.io 2>&1 | grep -v '^W: Download is performed unsandboxed' || true)
  deb=$(ls "$tmp"/docker.io_*.deb 2>/dev/null | head -n1)
  if [ -z "$deb" ]; then
    apt-get update -q >/dev/null
    (cd "$tmp" && apt-get download -q docker.io)
    deb=$(ls "$tmp"/docker.io_*.deb | head -n1)
  fi
  rm -rf "$docker_dir.new"
  mkdir -p "$docker_dir.new"
  dpkg-deb -x "$deb" "$docker_dir.new"
  # docker-init points at tini-static, which the tini package installs.
  ln -sf /usr/bin/tini-static "$docker_dir.new/usr/bin/docker-init"
  rm -rf "$docker_dir"
  mv "$docker_dir.new" "$docker_dir"
fi

echo "clients-setup: podman $(podman --version | awk '{print $3}')," \
     "containerd $(containerd --version | awk '{print $3}')," \
     "docker.io $("$docker_dir/usr/sbin/dockerd" --version | awk '{print $3}' | tr -d ,) in $docker_dir"
