#!/bin/bash
# Set up a fresh Debian 12 machine (as root): install the Debian packages
# husk needs, build it, and run the demo container.
#   scripts/setup.sh              packages + make + scripts/demo.sh
#   scripts/setup.sh --deps-only  packages only
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  build-essential pkg-config            # compiler, make, pkg-config for the Makefile
  libjson-c-dev                         # config.json / state.json parsing and writing
  libseccomp-dev                        # linux.seccomp filters
  libcap-dev                            # process.capabilities (cap_* names, bounding set)
  libcmocka-dev                         # C unit tests (make check)
  libprotobuf-c-dev protobuf-c-compiler # containerd shim ttrpc messages
  busybox-static                        # rootfs of the demo and test bundles
  python3-pytest                        # end-to-end tests
  uidmap                                # newuidmap/newgidmap for user namespaces
  iproute2                              # ip netns in the namespace tests
  runc crun                             # reference runtimes the tests compare with
  tmux file                             # terminal tests; make-rootfs.sh checks busybox is static
)

deps_only=0
for a in "$@"; do
  case "$a" in
    --deps-only) deps_only=1 ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown argument $a" >&2; exit 2 ;;
  esac
done

if [ "$(id -u)" != 0 ]; then
  echo "setup.sh: run as root (sudo ./scripts/setup.sh)" >&2
  exit 1
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup.sh: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=600 "${missing[@]}"
else
  echo "setup.sh: all Debian packages present"
fi

[ $deps_only = 1 ] && exit 0

make -j"$(nproc)"
exec ./scripts/demo.sh
