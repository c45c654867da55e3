#!/bin/bash
# Run the OCI runtime-tools validation suite against a runtime and count
# its TAP assertions.
#   RUNTIME_TOOLS_SRC=/path/to/runtime-tools scripts/runtime-tools.sh [RUNTIME]
# RUNTIME defaults to build/husk. Prints per-test "not ok" lines and one
# closing line "runtime-tools: N passed, N failed, N skipped".
#
# Why a checkout is needed: Debian 12 ships only runtime-tools' library
# packages (golang-github-opencontainers-runtime-tools-dev: api, cgroups,
# generate, validate, ...). The validation suite (validation/*, cmd/
# runtimetest) is not in any binary package, the source package's tarball
# is not served by the package mirror reachable here, and the suite's test
# library (github.com/mndrix/tap-go) is not packaged by Debian. So the suite
# builds offline only from a checkout that carries its vendor/ directory.
# Exit 77 (skip) when there is none.
set -uo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
runtime=$(realpath "${1:-${RUNTIME:-build/husk}}")
src=${RUNTIME_TOOLS_SRC:-}

if [ -z "$src" ] || [ ! -f "$src/Makefile" ] || [ ! -d "$src/validation" ]; then
  echo "runtime-tools: no runtime-tools checkout (set RUNTIME_TOOLS_SRC); Debian packages only the library, not validation/"
  exit 77
fi
command -v go >/dev/null || { echo "runtime-tools: go missing (apt-get install golang-go)" >&2; exit 77; }
[ -d "$src/vendor" ] || { echo "runtime-tools: $src has no vendor/ directory: cannot build offline" >&2; exit 77; }

work=$(mktemp -d /tmp/husk-runtime-tools.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp -a "$src" "$work/rt"
cd "$work/rt"

export GOFLAGS=-mod=vendor GOPROXY=off GO111MODULE=on CGO_ENABLED=0 GOCACHE=$work/gocache
if ! make runtimetest validation-executables >"$work/build.log" 2>&1; then
  echo "runtime-tools: build failed:" >&2; tail -20 "$work/build.log" >&2; exit 1
fi

# The suite unpacks rootfs-<arch>.tar.gz into each bundle: make it from busybox.
arch=$(go env GOARCH)
if [ ! -f "rootfs-$arch.tar.gz" ]; then
  "$repo/scripts/make-rootfs.sh" "$work/rootfs" >/dev/null
  tar -C "$work/rootfs" -czf "rootfs-$arch.tar.gz" .
fi

pass=0 fail=0 skip=0
tests=$(find validation -name '*.t' -type f -perm -u+x | sort)
for t in $tests; do
  out=$(RUNTIME=$runtime timeout 120 "./$t" 2>&1)
  p=$(grep -cE '^ok ' <<<"$out")
  s=$(grep -cE '^ok .*# *(SKIP|skip)' <<<"$out")
  f=$(grep -cE '^not ok ' <<<"$out")
  planned=$(grep -oE '^1\.\.[0-9]+' <<<"$out" | tail -1 | cut -d. -f3)
  # A test that died before its plan counts its missing assertions as failed.
  if [ -n "$planned" ] && [ $((p + f)) -lt "$planned" ]; then f=$((planned - p)); fi
  [ -z "$planned" ] && [ $((p + f)) = 0 ] && f=1
  pass=$((pass + p - s)) skip=$((skip + s)) fail=$((fail + f))
  grep -E '^not ok ' <<<"$out" | sed "s|^|$t: |"
done
echo "runtime-tools: $pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
