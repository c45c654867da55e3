#!/bin/sh
# The husk benchmark, one command: builds husk and the floor, makes a busybox
# bundle and measures husk, runc, crun and the floor interleaved.
#
#   bench/run.sh [--quick] [-n N] [--out FILE] [other bench.py options]
#
# Default: N=30 rounds per scenario, report written to docs/benchmarks.md.
# --quick: 3 rounds, 20 instead of 100 in sequence, report to stdout unless
# --out is given (for CI; it never asserts on time). Needs root.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
cd "$top"

quick=0
out_given=0
for a in "$@"; do
  case $a in
    --quick) quick=1 ;;
    --out|--out=*) out_given=1 ;;
  esac
done
set -- "$@"
if [ $out_given = 0 ] && [ $quick = 0 ]; then
  set -- "$@" --out "$top/docs/benchmarks.md"
fi

[ "$(id -u)" = 0 ] || { echo "bench/run.sh: needs root" >&2; exit 1; }

work=$(mktemp -d /tmp/husk-bench.XXXXXX)
cleanup() {
  # Containers are deleted by bench.py; this catches what an interrupt left.
  for rt in husk runc crun; do
    st="$work/state-$rt"
    [ -d "$st" ] || continue
    for c in $(ls "$st" 2>/dev/null); do
      case $rt in
        husk) b="$top/build/husk" ;;
        runc) b=/usr/sbin/runc ;;
        crun) b="$top/build/bench/rusage -u -- /usr/bin/crun" ;;
      esac
      $b --root "$st" delete --force "$c" >/dev/null 2>&1 || true
    done
  done
  find /sys/fs/cgroup -maxdepth 4 -depth -type d -name "*bench-${work##*.}*" -exec rmdir {} \; 2>/dev/null || true
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# husk may not build yet (or at all on a broken tree): the harness then
# skips its column with a note instead of failing.
if ! make -j2 >"$work/make.log" 2>&1; then
  echo "bench/run.sh: 'make' failed, husk will be skipped (see below)" >&2
  tail -5 "$work/make.log" >&2
fi
make -s -C bench OUT="$top/build/bench"

sh scripts/make-rootfs.sh "$work/rootfs" >/dev/null
/usr/bin/python3 "$here/bench.py" --work "$work" --bindir "$top/build/bench" --husk "$top/build/husk" "$@"
