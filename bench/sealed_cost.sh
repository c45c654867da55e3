#!/bin/sh
# Cost of sealing the husk binary (CVE-2019-5736) per command that enters
# a container, for each method husk_ensure_sealed knows:
#   none   `husk state` of a missing container: no sealing (baseline)
#   bind   read-only detached bind mount of the binary + fexecve
#   memfd  sealed memfd copy of the binary + fexecve (the rootless fallback)
# The sealed runs use `husk exec` of a missing container: main() seals,
# re-executes, then fails to find the container and exits.
#
# Time: mean wall time per command over N runs.  Memory: peak charge of a
# fresh cgroup-v1 memory cgroup the command runs in (what a container's
# memory limit would see if the copy were made inside it).
#
# usage: bench/sealed_cost.sh [N]        (root; needs /sys/fs/cgroup/memory)
set -eu
N=${1:-200}
here=$(cd "$(dirname "$0")/.." && pwd)
husk=${HUSK_BIN:-$here/build/husk}
root=$(mktemp -d /run/husk-bench-sealed-root.XXXXXX)
memcg=/sys/fs/cgroup/memory
cg=""
cleanup() {
  [ -n "$cg" ] && [ -d "$cg" ] && rmdir "$cg" 2>/dev/null || true
  rm -rf "$root"
}
trap cleanup EXIT INT TERM

# cmd_for METHOD -> argv to run
cmd_for() {
  case $1 in
    none) echo "$husk --root $root state husk-bench-missing" ;;
    *) echo "$husk --root $root exec husk-bench-missing true" ;;
  esac
}

now_ns() { date +%s%N; }

time_method() {
  m=$1
  cmd=$(cmd_for "$m")
  i=0
  t0=$(now_ns)
  while [ $i -lt "$N" ]; do
    HUSK_SEAL_METHOD=$m $cmd >/dev/null 2>&1 || true
    i=$((i + 1))
  done
  t1=$(now_ns)
  echo $(((t1 - t0) / N / 1000))
}

peak_kib() {
  m=$1
  cmd=$(cmd_for "$m")
  [ -d "$memcg" ] || { echo "n/a"; return; }
  cg=$(mktemp -u "$memcg/husk-bench-sealed-XXXXXX")
  mkdir "$cg"
  # The child moves itself into the cgroup, then runs the command there.
  HUSK_SEAL_METHOD=$m sh -c "echo \$\$ > $cg/cgroup.procs && exec $cmd" >/dev/null 2>&1 || true
  peak=$(cat "$cg/memory.max_usage_in_bytes")
  rmdir "$cg"
  cg=""
  echo $((peak / 1024))
}

[ -x "$husk" ] || { echo "sealed_cost: $husk not built (make)" >&2; exit 1; }
size=$(stat -L -c %s "$husk")
ROUNDS=5
total=$N
N=$((N / ROUNDS))
[ "$N" -gt 0 ] || N=1
echo "husk binary: $husk ($((size / 1024)) KiB), $((N * ROUNDS)) runs per method in $ROUNDS interleaved rounds"
# Spawning any process costs something on its own; print it as the floor.
t0=$(now_ns); i=0
while [ $i -lt "$total" ]; do /bin/true; i=$((i + 1)); done
echo "floor: /bin/true spawn $((($(now_ns) - t0) / total / 1000)) us"
sum_none=0 sum_bind=0 sum_memfd=0
r=0
while [ $r -lt $ROUNDS ]; do
  for m in none bind memfd; do
    v=$(time_method "$m")
    eval "sum_$m=\$((sum_$m + v))"
  done
  r=$((r + 1))
done
printf '%-6s %14s %16s\n' method "us/command" "peak memcg KiB"
for m in none bind memfd; do
  eval "v=\$((sum_$m / ROUNDS))"
  printf '%-6s %14s %16s\n' "$m" "$v" "$(peak_kib "$m")"
done
