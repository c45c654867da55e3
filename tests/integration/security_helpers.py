"""Shared pieces of the security/CVE tests: the static escape probe, a
throw-away copy of the runtime binary, detached containers."""
import hashlib
import os
import shutil
import subprocess
import tempfile
import time

from conftest import HUSK, REPO, Runtime

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
PROBE_SRC = os.path.join(DATA, "escape_probe.c")
PROBE_BIN = os.path.join(REPO, "build", "escape_probe")


def build_probe():
    if (not os.path.exists(PROBE_BIN)
            or os.path.getmtime(PROBE_BIN) < os.path.getmtime(PROBE_SRC)):
        os.makedirs(os.path.dirname(PROBE_BIN), exist_ok=True)
        tmp = PROBE_BIN + f".{os.getpid()}"
        subprocess.run(["cc", "-static", "-O2", "-o", tmp, PROBE_SRC], check=True)
        os.rename(tmp, PROBE_BIN)
    return PROBE_BIN


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class CopiedRuntime(Runtime):
    """The runtime under test, run from a private copy so that a
    successful attack damages only the copy."""

    def __init__(self, tmpdir):
        self.copy = os.path.join(tmpdir, "runtime-under-attack")
        shutil.copy2(os.path.realpath(HUSK), self.copy)
        os.chmod(self.copy, 0o755)
        self.digest = sha256(self.copy)
        super().__init__(self.copy, tempfile.mkdtemp(prefix="husk-test-root-", dir="/run"))

    def intact(self):
        return sha256(self.copy) == self.digest


def start_detached(rt, bundle, cid, log_path):
    """create + start with the container's stdio on a file (a pipe would
    keep subprocess.run waiting for the container)."""
    with open(log_path, "ab") as log:
        r = subprocess.run(rt.cmd("create", "--bundle", bundle.path, cid), stdin=subprocess.DEVNULL,
                           stdout=log, stderr=log, timeout=60)
    assert r.returncode == 0, open(log_path).read()
    r = rt.run("start", cid)
    assert r.returncode == 0, r.stderr


def wait_stopped(rt, cid, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        r = rt.run("state", cid)
        if r.returncode != 0 or '"stopped"' in r.stdout:
            return True
        time.sleep(0.1)
    return False


def install_probe(bundle):
    dst = os.path.join(bundle.rootfs, "bin", "escape_probe")
    shutil.copy2(build_probe(), dst)
    os.chmod(dst, 0o755)


def probe_bundle(make_bundle, mode):
    b = make_bundle(args=["/bin/escape_probe", str(mode), "/tmp/probe.log", "/tmp/stop"])
    b.config["root"]["readonly"] = False
    install_probe(b)
    return b.save()


def stop_probe(rt, bundle, cid):
    open(os.path.join(bundle.rootfs, "tmp", "stop"), "w").close()
    if not wait_stopped(rt, cid):
        rt.run("kill", cid, "KILL")
        wait_stopped(rt, cid)
    with open(os.path.join(bundle.rootfs, "tmp", "probe.log")) as f:
        return [line.split() for line in f.read().splitlines() if line.startswith("pid=")]


def fields(line):
    return dict(x.split("=", 1) for x in line if "=" in x)
