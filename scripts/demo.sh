#!/bin/bash
# Make the demo bundle in demo/ (busybox rootfs + `husk spec` config) and run
# it in the foreground: it prints its hostname, its PID (1) and its mounts.
#   HUSK_BIN=/usr/sbin/runc scripts/demo.sh   runs the same bundle with runc
set -euo pipefail
cd "$(dirname "$0")/.."
husk=${HUSK_BIN:-$PWD/build/husk}
[ -x "$husk" ] || { echo "demo.sh: $husk missing: run make first" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "demo.sh: run as root" >&2; exit 1; }

rm -rf demo
mkdir -p demo
./scripts/make-rootfs.sh demo/rootfs
cat >demo/rootfs/demo.sh <<'SCRIPT'
#!/bin/sh
echo "hostname: $(hostname)"
echo PID $$
echo "mounts:"
cat /proc/self/mounts
SCRIPT
chmod 755 demo/rootfs/demo.sh

(cd demo && "$husk" spec)
/usr/bin/python3 - demo/config.json <<'PY'
import json, sys
path = sys.argv[1]
with open(path) as f:
    c = json.load(f)
c["process"]["terminal"] = False          # stdout goes straight to ours
c["process"]["args"] = ["/bin/sh", "/demo.sh"]
c["hostname"] = "husk-demo"
with open(path, "w") as f:
    json.dump(c, f, indent=2)
PY

root=$(mktemp -d /run/husk-demo-root.XXXXXX)
id=husk-demo-$$
trap '"$husk" --root "$root" delete --force "$id" >/dev/null 2>&1 || true; rm -rf "$root"' EXIT
echo "+ $husk run --bundle demo $id"
"$husk" --root "$root" run --bundle demo "$id" </dev/null
