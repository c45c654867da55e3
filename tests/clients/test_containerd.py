"""containerd 1.6 + ctr run containers through husk via the stock
containerd-shim-runc-v2 (`ctr run --runc-binary <husk>`, i.e. runc option
BinaryName).

The test starts its own containerd: root, state, gRPC socket and /opt plugin
under a temporary directory, the CRI plugin disabled, and a namespace of its
own.  Some paths are fixed by containerd and its shim: the shim's socket in
/run/containerd/s/, the runtime --root /run/containerd/runc/<namespace>, the
FIFOs ctr makes in /run/containerd/fifo/ and the cgroup /<namespace>/<id>; the
fixture removes what this module made there, and only that (other tests may
use containerd at the same time).
"""
import hashlib
import json
import os
import shutil
import tempfile
import time

import pytest

from .clientlib import (IMAGE, Daemon, cgroup_dirs, remove_cgroup_tree, require,
                      run, stop_pid, wait_for)

CONFIG = """\
version = 2
root = "{base}/root"
state = "{base}/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]

[grpc]
  address = "{base}/containerd.sock"

[plugins."io.containerd.internal.v1.opt"]
  path = "{base}/opt"
"""

RUN_ROOT = "/run/containerd"


class Containerd:
    def __init__(self, base, ns, husk):
        self.base = base
        self.ns = ns
        self.husk = husk
        self.address = os.path.join(base, "containerd.sock")
        self.daemon = None
        self.ids = []

    def ctr(self, *args, check=True, timeout=60, **kw):
        return run(["ctr", "--address", self.address, "--namespace", self.ns, *args],
                   check=check, timeout=timeout, **kw)

    def ctr_shell(self, *args):
        return " ".join(["ctr", "--address", self.address, "--namespace", self.ns, *args])

    def new_id(self, what):
        cid = f"{self.ns}-{what}"
        self.ids.append(cid)
        return cid

    def tasks(self):
        """{id: (pid, status)} from `ctr task ls`."""
        out = {}
        for line in self.ctr("task", "ls").stdout.splitlines()[1:]:
            f = line.split()
            if len(f) >= 3:
                out[f[0]] = (int(f[1]), f[2])
        return out

    def shim_socket(self, cid):
        # containerd 1.6 names it sha256(<grpc address>/<namespace>/<id>)
        d = hashlib.sha256(os.path.join(self.address, self.ns, cid).encode()).hexdigest()
        return os.path.join(RUN_ROOT, "s", d)

    def task_dir(self, cid):
        return os.path.join(self.base, "state", "io.containerd.runtime.v2.task", self.ns, cid)


@pytest.fixture(scope="module")
def containerd(husk_bin, docker_archive):
    for b in ("containerd", "ctr", "containerd-shim-runc-v2"):
        require(b)
    base = tempfile.mkdtemp(prefix="hc-ctd-")
    ns = "husk-test-" + os.path.basename(base)[-6:].lower().replace("_", "x")
    c = Containerd(base, ns, husk_bin)
    with open(os.path.join(base, "config.toml"), "w") as f:
        f.write(CONFIG.format(base=base))
    had_runc_root = os.path.exists(os.path.join(RUN_ROOT, "runc"))
    fifo_before = set(_ls(os.path.join(RUN_ROOT, "fifo")))
    c.daemon = Daemon("containerd", ["containerd", "--config", os.path.join(base, "config.toml")],
                      os.path.join(base, "containerd.log"))
    try:
        def up():
            if not c.daemon.alive():
                return "dead"
            return os.path.exists(c.address) and c.ctr("version", check=False).returncode == 0
        if wait_for(up, 20, what="containerd") == "dead":
            pytest.skip(f"containerd does not start here: {c.daemon.tail()}")
        c.ctr("image", "import", docker_archive, timeout=120)
        yield c
    finally:
        _teardown(c, had_runc_root, fifo_before)


def _ls(d):
    try:
        return os.listdir(d)
    except OSError:
        return []


def _teardown(c, had_runc_root, fifo_before):
    shim_pids = []
    if c.daemon.alive():
        for cid in c.ids:
            try:
                with open(os.path.join(c.task_dir(cid), "shim.pid")) as f:
                    shim_pids.append(int(f.read()))
            except (OSError, ValueError):
                pass
            c.ctr("task", "kill", "-s", "SIGKILL", cid, check=False)
            c.ctr("task", "delete", "--force", cid, check=False)
            c.ctr("container", "delete", cid, check=False)
        c.ctr("image", "rm", IMAGE, check=False)
        c.ctr("namespace", "remove", c.ns, check=False)
    c.daemon.stop()
    for pid in shim_pids:
        stop_pid(pid, timeout=5)
    problems = []
    for cid in c.ids:
        sock = c.shim_socket(cid)
        if os.path.exists(sock):
            os.unlink(sock)
    runc_ns_root = os.path.join(RUN_ROOT, "runc", c.ns)
    if os.path.exists(runc_ns_root):
        left = _ls(runc_ns_root)
        if left:
            problems.append(f"runtime state left in {runc_ns_root}: {left}")
        shutil.rmtree(runc_ns_root, ignore_errors=True)
    if not had_runc_root:
        try:
            os.rmdir(os.path.join(RUN_ROOT, "runc"))
        except OSError:
            pass
    # ctr's FIFO dirs hold files named <id>-stdin/-stdout/-stderr.
    fifo_root = os.path.join(RUN_ROOT, "fifo")
    for d in set(_ls(fifo_root)) - fifo_before:
        names = _ls(os.path.join(fifo_root, d))
        if names and all(n.startswith(c.ns) for n in names):
            shutil.rmtree(os.path.join(fifo_root, d), ignore_errors=True)
    left = remove_cgroup_tree(c.ns)
    if left:
        problems.append(f"cgroups left: {left}")
    shutil.rmtree(c.base, ignore_errors=True)
    assert not problems, problems


def test_run_rm_output_and_exit_code(containerd):
    cid = containerd.new_id("rm")
    r = containerd.ctr("run", "--rm", "--runc-binary", containerd.husk, IMAGE, cid,
                       "sh", "-c", "echo hello from $(hostname); exit 3", check=False)
    assert r.returncode == 3, r
    assert "hello from" in r.stdout
    assert cid not in containerd.ctr("container", "ls", "-q").stdout


LOOP = ('trap "echo got-TERM; exit 0" TERM; i=0; '
        'while :; do i=$((i+1)); echo $i > /tmp/count; sleep 0.05; done')


def start_detached(c, what, *cmd):
    cid = c.new_id(what)
    c.ctr("run", "-d", "--runc-binary", c.husk, IMAGE, cid, *(cmd or ("sh", "-c", LOOP)))
    pid, status = wait_for(lambda: c.tasks().get(cid), 10, what="task in task ls")
    assert status == "RUNNING"
    return cid, pid


def test_detached_exec_and_ps(containerd):
    c = containerd
    cid, pid = start_detached(c, "exec")
    # the shim really runs our binary, with --root /run/containerd/runc/<namespace>
    r = run([c.husk, "--root", os.path.join(RUN_ROOT, "runc", c.ns), "state", cid])
    st = json.loads(r.stdout)
    assert st["status"] == "running" and st["pid"] == pid
    r = c.ctr("task", "exec", "--exec-id", f"{c.ns}-e1", cid, "sh", "-c", "echo exec-out; cat /proc/1/cmdline")
    assert "exec-out" in r.stdout and "sh" in r.stdout
    r = c.ctr("task", "exec", "--exec-id", f"{c.ns}-e2", cid, "sh", "-c", "exit 4", check=False)
    assert r.returncode == 4, r

    # task ps comes from the runtime's `ps --format json`
    c.ctr("task", "exec", "-d", "--exec-id", f"{c.ns}-e3", cid, "sleep", "30")
    def ps_pids():
        out = c.ctr("task", "ps", cid).stdout.splitlines()[1:]
        return [int(l.split()[0]) for l in out if l.strip()]
    pids = wait_for(lambda: (lambda p: p if len(p) >= 2 else None)(ps_pids()), 10,
                    what="init and exec in task ps")
    assert pid in pids
    sleeper = [p for p in pids if p != pid]
    with open(f"/proc/{sleeper[0]}/cmdline") as f:
        assert f.read().startswith("sleep")
    c.ctr("task", "kill", "--exec-id", f"{c.ns}-e3", "-s", "SIGKILL", cid)
    c.ctr("task", "kill", "-s", "SIGKILL", cid)
    wait_for(lambda: c.tasks().get(cid, (0, ""))[1] == "STOPPED", 10, what="task to stop")
    c.ctr("task", "delete", cid)
    c.ctr("container", "delete", cid)


def test_pause_resume(containerd):
    c = containerd
    cid, pid = start_detached(c, "pause")
    count = f"/proc/{pid}/root/tmp/count"
    wait_for(lambda: os.path.exists(count), 10, what="counter")
    c.ctr("task", "pause", cid)
    assert c.tasks()[cid][1] == "PAUSED"
    freezer = [d for d in cgroup_dirs(f"{c.ns}/{cid}") if "/freezer/" in d]
    assert freezer, "no freezer cgroup"
    with open(os.path.join(freezer[0], "freezer.state")) as f:
        assert f.read().strip() == "FROZEN"
    with open(count) as f:
        a = f.read()
    time.sleep(0.4)
    with open(count) as f:
        assert f.read() == a, "counter moved while paused"
    c.ctr("task", "resume", cid)
    assert c.tasks()[cid][1] == "RUNNING"
    wait_for(lambda: open(count).read() != a, 5, what="counter to move after resume")
    c.ctr("task", "kill", "-s", "SIGKILL", cid)
    wait_for(lambda: c.tasks().get(cid, (0, ""))[1] == "STOPPED", 10, what="task to stop")
    c.ctr("task", "delete", cid)
    c.ctr("container", "delete", cid)


def test_kill_and_delete(containerd):
    c = containerd
    cid, pid = start_detached(c, "kill")
    # the task runs in its cgroup /<namespace>/<id>
    with open(f"/proc/{pid}/cgroup") as f:
        assert f"memory:/{c.ns}/{cid}" in f.read()
    c.ctr("task", "kill", "-s", "SIGTERM", cid)
    wait_for(lambda: c.tasks().get(cid, (0, ""))[1] == "STOPPED", 10, what="task to stop")
    # a signal to a stopped task is refused, not a crash
    r = c.ctr("task", "kill", "-s", "SIGKILL", cid, check=False)
    assert r.returncode != 0
    c.ctr("task", "delete", cid)
    assert cid not in c.tasks()
    assert not cgroup_dirs(f"{c.ns}/{cid}"), "task cgroup left after task delete"
    assert not os.path.exists(os.path.join(RUN_ROOT, "runc", c.ns, cid)), "runtime state left"
    c.ctr("container", "delete", cid)


def test_task_delete_force_running(containerd):
    c = containerd
    cid = c.new_id("f")
    c.ctr("run", "-d", "--runc-binary", c.husk, IMAGE, cid, "sleep", "1000")
    wait_for(lambda: c.tasks().get(cid), 10, what="task")
    c.ctr("task", "delete", "--force", cid)
    assert cid not in c.tasks()
    assert not cgroup_dirs(f"{c.ns}/{cid}")
    c.ctr("container", "delete", cid)


def test_run_tty_under_tmux(containerd, tmux):
    c = containerd
    cid = c.new_id("tty")
    tmux.start(c.ctr_shell("run", "-t", "--rm", "--runc-binary", c.husk, IMAGE, cid, "sh"))
    tmux.wait_text("#")
    tmux.send("echo $((6*7))-answer")
    tmux.wait_text("42-answer")
    tmux.send("stty size")
    tmux.wait_text("24 80")
    tmux.resize(100, 30)
    time.sleep(0.5)
    tmux.send("stty size")
    tmux.wait_text("30 100")
    tmux.send("exit 7")
    assert tmux.exit_code() == 7
