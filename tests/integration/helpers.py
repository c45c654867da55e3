"""Shared helpers for the end-to-end tests (imported by the test modules).

Everything here inspects the host the way a user would: /proc, the cgroup
filesystems, the --root directory. Nothing is mocked.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import time

import pytest

from conftest import HUSK

_version = None


def binary_version():
    global _version
    if _version is None:
        try:
            _version = subprocess.run([HUSK, "--version"], capture_output=True, text=True,
                                      timeout=10).stdout
        except OSError:
            _version = ""
    return _version


def runtime_name():
    """husk, runc or crun: which runtime HUSK_BIN points at."""
    base = os.path.basename(HUSK)
    for n in ("runc", "crun"):
        if base == n or binary_version().startswith(n + " version"):
            return n
    return "husk"


IS_HUSK = runtime_name() == "husk"
IS_RUNC = runtime_name() == "runc"


def husk_only(why):
    """A test of behaviour husk has on purpose and runc/crun do not."""
    return pytest.mark.skipif(not IS_HUSK, reason=f"husk-only ({runtime_name()} differs): {why}")


IP = shutil.which("ip") or "/usr/sbin/ip"


def wait_for(pred, timeout=10.0, interval=0.05, what="condition"):
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def state(runtime, cid):
    r = runtime.run("state", cid)
    assert r.returncode == 0, f"state {cid} failed: {r.stderr}"
    return json.loads(r.stdout)


def status(runtime, cid):
    r = runtime.run("state", cid)
    if r.returncode != 0:
        return None
    return json.loads(r.stdout)["status"]


def add_bind(bundle, host_dir, dest="/out", ro=False):
    """Bind-mount a host directory into the container (for marker files)."""
    opts = ["rbind", "ro" if ro else "rw"]
    bundle.config["mounts"].append({"destination": dest, "type": "bind", "source": host_dir,
                                    "options": opts})
    bundle.save()


def sh(bundle, script):
    """Make the container run `sh -c script`."""
    bundle.config["process"]["args"] = ["sh", "-c", script]
    bundle.save()


def pid_alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False


def procs_in_bundle(bundle_path):
    """Pids whose root directory is the bundle's rootfs (container processes).

    /proc/PID/root of a pivoted process reads as "/", so compare what it
    points at (device and inode) with the rootfs directory."""
    found = []
    try:
        st = os.stat(os.path.join(bundle_path, "rootfs"))
    except OSError:
        return found
    want = (st.st_dev, st.st_ino)
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            r = os.stat(f"/proc/{p}/root")
        except OSError:
            continue
        if (r.st_dev, r.st_ino) == want:
            found.append(int(p))
    return found


def procs_in_cgroup_named(cid):
    found = []
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open(f"/proc/{p}/cgroup") as f:
                if cid in f.read():
                    found.append(int(p))
        except OSError:
            continue
    return found


def cgroup_dirs_named(cid):
    hits = []
    for top in ("/sys/fs/cgroup",):
        for dirpath, dirnames, _ in os.walk(top):
            for d in dirnames:
                if cid in d:
                    hits.append(os.path.join(dirpath, d))
    return hits


def leftovers(runtime, cid, bundle=None):
    """What a failed or deleted container left behind, as readable strings."""
    left = []
    sd = os.path.join(runtime.root, cid)
    if os.path.lexists(sd):
        left.append(f"state dir {sd}")
    left += [f"cgroup {d}" for d in cgroup_dirs_named(cid)]
    pids = set(procs_in_cgroup_named(cid))
    if bundle is not None:
        pids |= set(procs_in_bundle(bundle.path))
    left += [f"process {p} ({_comm(p)})" for p in sorted(pids) if pid_alive(p)]
    return left


def assert_nothing_left(runtime, cid, bundle=None, timeout=3.0):
    # A killed init may take a moment to be reaped by its parent.
    end = time.monotonic() + timeout
    while True:
        left = leftovers(runtime, cid, bundle)
        if not left or time.monotonic() > end:
            break
        time.sleep(0.05)
    assert not left, f"container {cid} left behind: {left}"
    r = runtime.run("list", "-q")
    assert cid not in r.stdout.split(), f"{cid} still listed"


def _comm(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return "?"


def kill_procs(pids):
    for p in pids:
        try:
            os.kill(p, signal.SIGKILL)
        except ProcessLookupError:
            pass


def assert_failed(r, *words):
    """A failed command: non-zero exit and an error naming each of words."""
    out = r.stderr + r.stdout
    assert r.returncode != 0, f"expected failure, got 0; output: {out!r}"
    for w in words:
        if isinstance(w, re.Pattern):
            assert w.search(out), f"error does not match {w.pattern!r}: {out!r}"
        else:
            assert w.lower() in out.lower(), f"error does not name {w!r}: {out!r}"
    return out


def ns_inode(path):
    return os.stat(path).st_ino


def host_ns(kind):
    return os.readlink(f"/proc/self/ns/{kind}")


def run_detached(rt, bundle, cid):
    """run -d with stdio away from pytest's pipes (the container keeps them)."""
    import subprocess
    import tempfile
    with tempfile.TemporaryFile("w+") as errf:
        r = subprocess.run(rt.cmd("run", "-d", "--bundle", bundle.path, cid), stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=errf, timeout=60)
        errf.seek(0)
        assert r.returncode == 0, errf.read()


def marker_order(outdir):
    """The words hooks and containers appended to <outdir>/order, in order."""
    try:
        with open(os.path.join(outdir, "order")) as f:
            return f.read().split()
    except FileNotFoundError:
        return []


def run_socket_activated(cmd, listen_pid, path):
    """Run cmd as systemd would hand it one socket: fd 3 open on path,
    LISTEN_FDS=1 and LISTEN_PID=listen_pid ("$$": the runtime itself, as
    the exec'ing shell's pid is the one the runtime keeps)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        return subprocess.run(["/bin/sh", "-c", f'LISTEN_PID={listen_pid} LISTEN_FDS=1 exec "$@"', "sh", *cmd],
                              capture_output=True, text=True, preexec_fn=lambda: os.dup2(fd, 3),
                              close_fds=False, stdin=subprocess.DEVNULL, timeout=60)
    finally:
        os.close(fd)
