#!/bin/sh
# CI smoke run of the benchmark: a few rounds of every scenario so the
# harness cannot rot. Never asserts on time. Fails only if the harness itself
# breaks or a runtime that took part fails a round of a scenario.
# Prints a closing "N passed, N failed, N skipped" line. Needs root.
set -u
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d /tmp/husk-bench-ci.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

start=$(date +%s)
# Stop starting new rounds 100 s in, so the whole run (build included) stays
# under two minutes even on a loaded machine.
"$here/run.sh" --quick --deadline $((start + 100)) --out "$tmp/bench.md" --json "$tmp/bench.json" "$@"
rc=$?
cat "$tmp/bench.md" 2>/dev/null
echo
echo "bench/ci-quick.sh: harness exit status $rc after $(( $(date +%s) - start )) s"
/usr/bin/python3 - "$tmp/bench.json" "$rc" <<'PY'
import json, sys
path, rc = sys.argv[1], int(sys.argv[2])
try:
    d = json.load(open(path))
except (OSError, ValueError):
    print("bench: no results (harness failed)")
    print("0 passed, 1 failed")
    sys.exit(1)
passed = failed = 0
skipped = len(d["skipped"])
for rt, why in d["skipped"].items():
    if rt == "husk":  # husk is what the benchmark is for: not running it is a failure
        failed += 1
        skipped -= 1
        print("FAIL husk: %s" % why)
    else:
        print("skipped %s: %s" % (rt, why))
for scen, per_rt in d["failures"].items():
    for rt, n in per_rt.items():
        if n:
            failed += 1
            print("FAIL %s %s: %d failed rounds" % (scen, rt, n))
        else:
            passed += 1
for rt, err in d.get("memlimit_errors", {}).items():
    failed += 1
    print("FAIL memory-limit %s: %s" % (rt, err))
passed += len(d["summary"].get("memlimit", {}))
print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
sys.exit(1 if failed or rc else 0)
PY
