"""podman (Debian 12: 4.3) runs containers through husk.

podman is given `--runtime <husk>`, `--cgroup-manager cgroupfs` and
`--events-backend file` on every call, its own containers.conf
(CONTAINERS_CONF) and --root/--runroot under a temporary directory.

Some paths podman and netavark use as root are fixed (/run/containers/networks,
/run/netns, /var/lib/containers/cache) and netavark programs iptables and
ip_forward.  So every podman command runs inside one private mount + network
namespace held by a `sleep` process this module starts: /run and
/var/lib/containers are fresh tmpfs there, the bridge and its iptables rules
live in that network namespace, and the host keeps none of it.  The runtime
sees the same requests as on a plain host; cgroups are the host's (cgroupfs
under libpod_parent), and are removed at the end.
"""
import json
import os
import time

import pytest

from .clientlib import (IMAGE, IS_HUSK, Daemon, cgroup_dirs,
                      remove_cgroup_tree, require, rmdir_cgroup, run, stop_pid, tag, wait_for)

CONTAINERS_CONF = """\
# husk test configuration (see docs/integrations.md)
[containers]
# podman's own default is nofile=1048576, nproc=4194304: above this machine's
# hard limits, and without CAP_SYS_RESOURCE no runtime may raise them.
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]

[network]
network_backend = "netavark"
network_config_dir = "{base}/networks"

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "husk"
# podman passes --log-format=json only to the runtimes named here.
runtime_supports_json = ["husk", "crun", "runc", "kata", "runsc", "krun"]

[engine.runtimes]
husk = ["{husk}"]
"""

STORAGE_CONF = """\
[storage]
driver = "overlay"
graphroot = "{base}/root"
runroot = "{base}/runroot"
"""


class Podman:
    def __init__(self, base, husk):
        self.base = base
        self.husk = husk
        self.env = dict(os.environ,
                        CONTAINERS_CONF=os.path.join(base, "containers.conf"),
                        CONTAINERS_STORAGE_CONF=os.path.join(base, "storage.conf"))
        self.env["PATH"] = "/usr/local/sbin:/usr/sbin:/sbin:" + self.env.get("PATH", "/usr/bin:/bin")
        self.holder = None

    def flags(self):
        b = self.base
        return ["--root", f"{b}/root", "--runroot", f"{b}/runroot", "--runtime", self.husk,
                "--cgroup-manager", "cgroupfs", "--events-backend", "file"]

    def nsenter(self):
        return ["nsenter", "-t", str(self.holder.pid), "-m", "-n", "--"]

    def argv(self, *args):
        return [*self.nsenter(), "podman", *self.flags(), *args]

    def shell_cmd(self, *args):
        """The same command as one shell string, for tmux."""
        envs = " ".join(f"{k}={self.env[k]}" for k in ("CONTAINERS_CONF", "CONTAINERS_STORAGE_CONF", "PATH"))
        return "env " + envs + " " + " ".join(self.argv(*args))

    def __call__(self, *args, check=True, timeout=60, **kw):
        return run(self.argv(*args), check=check, timeout=timeout, env=self.env, **kw)

    def inspect(self, name):
        return json.loads(self("inspect", name).stdout)[0]

    def in_ns(self, *cmd, check=True, timeout=30):
        """Run a host command in podman's network namespace (the bridge's host side)."""
        return run(["nsenter", "-t", str(self.holder.pid), "-n", "--", *cmd],
                   check=check, timeout=timeout)


def container_cgroup(ctr_id):
    return f"libpod_parent/libpod-{ctr_id}"


@pytest.fixture(scope="module")
def podman(husk_bin, rootfs_tar, tmp_path_factory):
    require("podman")
    require("nsenter")
    base = str(tmp_path_factory.mktemp("podman"))
    p = Podman(base, husk_bin)
    for name, text in (("containers.conf", CONTAINERS_CONF), ("storage.conf", STORAGE_CONF)):
        with open(os.path.join(base, name), "w") as f:
            f.write(text.format(base=base, husk=husk_bin))
    os.makedirs(os.path.join(base, "networks"))

    had_libpod_cg = bool(cgroup_dirs("libpod_parent"))
    made_varlib = not os.path.exists("/var/lib/containers")
    if made_varlib:
        os.makedirs("/var/lib/containers")
    ready = os.path.join(base, "ns-ready")
    script = ("mount -t tmpfs -o mode=0755 husk-clients /run && "
              "mount -t tmpfs -o mode=0700 husk-clients /var/lib/containers && "
              f"ip link set lo up && touch {ready} && exec sleep 100000")
    p.holder = Daemon("podman-ns", ["unshare", "--mount", "--net", "--propagation", "private",
                                    "sh", "-c", script],
                      os.path.join(base, "ns.log"))
    try:
        wait_for(lambda: os.path.exists(ready) or not p.holder.alive(), 10, what="namespace holder")
        if not p.holder.alive():
            pytest.skip(f"cannot make podman's private namespaces: {p.holder.tail()}")
        r = p("import", "--change", 'CMD ["/bin/sh"]', rootfs_tar, IMAGE, check=False, timeout=120)
        if r.returncode != 0:
            pytest.skip(f"podman import failed: {r.stderr.strip()}")
        yield p
    finally:
        _teardown(p, had_libpod_cg, made_varlib)


def _teardown(p, had_libpod_cg, made_varlib):
    ids = []
    if p.holder and p.holder.alive():
        r = p("ps", "--all", "--no-trunc", "--format", "{{.ID}}", check=False)
        ids = r.stdout.split()
        p("rm", "--all", "--force", "--time", "0", check=False, timeout=120)
        # Anything still running in the holder's namespaces is ours (conmon).
        ns = os.readlink(f"/proc/{p.holder.pid}/ns/mnt")
        for pid in os.listdir("/proc"):
            if pid.isdigit() and int(pid) not in (p.holder.pid, os.getpid()):
                try:
                    if os.readlink(f"/proc/{pid}/ns/mnt") == ns:
                        stop_pid(int(pid), timeout=5)
                except OSError:
                    pass
    if p.holder:
        p.holder.stop()
    # Only our containers' cgroups; libpod_parent may be shared with other podman users.
    left = []
    for cid in ids:
        left += remove_cgroup_tree(container_cgroup(cid))
    if not had_libpod_cg:
        rmdir_cgroup("libpod_parent/conmon")
        rmdir_cgroup("libpod_parent")
    if made_varlib:
        os.rmdir("/var/lib/containers")
    assert not left, f"container cgroups left after podman rm: {left}"


@pytest.fixture
def name():
    return tag()


def test_run_rm_output_and_exit_code(podman, name):
    r = podman("run", "--rm", "--name", name, IMAGE,
               "sh", "-c", "echo hello from $(hostname); echo to-stderr >&2; exit 3", check=False)
    assert r.returncode == 3, r.stderr
    assert "hello from" in r.stdout
    assert "to-stderr" in r.stderr
    assert podman("ps", "-a", "-q", "--filter", f"name={name}").stdout.strip() == ""


def test_run_stdin_pipe(podman):
    r = podman("run", "--rm", "-i", IMAGE, "sh", "-c", "tr a-z A-Z; echo done",
               input="piped through husk\n")
    assert r.stdout == "PIPED THROUGH HUSK\ndone\n", r


def test_detached_exec_logs_stop_rm(podman, name):
    loop = 'echo started; trap "echo got-TERM; exit 0" TERM; while :; do sleep 0.1; done'
    podman("run", "-d", "--name", name, IMAGE, "sh", "-c", loop)
    wait_for(lambda: "started" in podman("logs", name).stdout, 10, what="first log line")
    info = podman.inspect(name)
    assert info["State"]["Status"] == "running"
    # podman really runs our binary: its state (default --root) knows the container
    r = run([*podman.nsenter(), podman.husk, "state", info["Id"]])
    assert json.loads(r.stdout)["status"] == "running"

    r = podman("exec", name, "sh", "-c", "echo exec-out; cat /proc/1/cmdline | tr '\\0' ' '")
    assert "exec-out" in r.stdout and "sh -c" in r.stdout
    assert podman("exec", name, "sh", "-c", "exit 5", check=False).returncode == 5
    r = podman("exec", "-t", name, "sh", "-c", "tty; test -t 0 && echo stdin-is-tty")
    assert "/dev/pts/" in r.stdout and "stdin-is-tty" in r.stdout

    podman("stop", "--time", "10", name)
    info = podman.inspect(name)
    assert info["State"]["Status"] == "exited"
    assert info["State"]["ExitCode"] == 0
    assert "got-TERM" in podman("logs", name).stdout
    podman("rm", name)
    assert podman("ps", "-a", "-q", "--filter", f"name={name}").stdout.strip() == ""


def test_container_cgroup(podman, name):
    """cgroupfs: the container (and its exec processes) in libpod_parent/libpod-<id>,
    removed with the container."""
    cid = podman("run", "-d", "--name", name, IMAGE, "sleep", "1000").stdout.strip()
    cg = container_cgroup(cid)
    try:
        state = podman.inspect(name)["State"]
        assert state["Status"] == "running" and state["Pid"] > 0, state
        pid = state["Pid"]
        dirs = cgroup_dirs(cg)
        for ctrl in ("memory", "pids", "cpu", "freezer", "devices"):
            assert any(f"/{ctrl}/" in d for d in dirs), f"no {ctrl} cgroup {cg}: {dirs}"
        with open(f"/proc/{pid}/cgroup") as f:
            mine = f.read()
        assert f"memory:/{cg}" in mine and f"pids:/{cg}" in mine, mine
        r = podman("exec", name, "cat", "/proc/self/cgroup")
        assert f"memory:/{cg}" in r.stdout, r.stdout
    finally:
        podman("rm", "-f", "-t", "0", name, check=False)
    assert not cgroup_dirs(cg), f"cgroup {cg} left after podman rm"


def test_run_interactive_tty(podman, tmux, name):
    tmux.start(podman.shell_cmd("run", "-it", "--rm", "--name", name, IMAGE, "sh"))
    tmux.wait_text("#")
    tmux.send("echo $((6*7))-answer")
    tmux.wait_text("42-answer")
    tmux.send("stty size")
    tmux.wait_text("24 80")
    tmux.resize(100, 30)
    time.sleep(0.5)
    tmux.send("stty size")
    tmux.wait_text("30 100")
    tmux.send("tty")
    tmux.wait_text("/dev/pts/0")
    tmux.send("exit 7")
    assert tmux.exit_code() == 7


def test_memory_limit(podman, name):
    cid = podman("run", "-d", "--name", name, "--memory", "64m", IMAGE, "sleep", "1000").stdout.strip()
    try:
        host = [d for d in cgroup_dirs(container_cgroup(cid)) if "/memory/" in d]
        assert host, "no memory cgroup for the container"
        with open(os.path.join(host[0], "memory.limit_in_bytes")) as f:
            assert int(f.read()) == 64 * 1024 * 1024
        r = podman("exec", name, "cat", "/sys/fs/cgroup/memory/memory.limit_in_bytes")
        assert int(r.stdout) == 64 * 1024 * 1024
    finally:
        podman("rm", "-f", "-t", "0", name, check=False)
    # A process that allocates past the limit is killed by the OOM killer.
    r = podman("run", "--rm", "--memory", "32m", "--memory-swap", "32m", IMAGE,
               "sh", "-c", "tail /dev/zero", check=False, timeout=60)
    assert r.returncode == 137, (r.returncode, r.stderr)


def test_pids_limit(podman, name):
    cid = podman("run", "-d", "--name", name, "--pids-limit", "12", IMAGE, "sleep", "1000").stdout.strip()
    try:
        host = [d for d in cgroup_dirs(container_cgroup(cid)) if "/pids/" in d]
        assert host, "no pids cgroup for the container"
        with open(os.path.join(host[0], "pids.max")) as f:
            assert f.read().strip() == "12"
        # 30 background sleeps cannot all start under pids.max 12
        r = podman("exec", name, "sh", "-c",
                   "for i in $(seq 1 30); do sleep 5 & done; echo all-started", check=False)
        assert "can't fork" in r.stderr and "all-started" not in r.stdout, r
        with open(os.path.join(host[0], "pids.events")) as f:
            assert int(f.read().split()[-1]) > 0, "pids.max was never hit"
    finally:
        podman("rm", "-f", "-t", "0", name, check=False)


def test_pause_unpause(podman, name):
    loop = "i=0; while :; do i=$((i+1)); echo $i > /tmp/count; sleep 0.05; done"
    cid = podman("run", "-d", "--name", name, IMAGE, "sh", "-c", loop).stdout.strip()
    try:
        pid = podman.inspect(name)["State"]["Pid"]
        count = f"/proc/{pid}/root/tmp/count"
        wait_for(lambda: os.path.exists(count), 10, what="counter file")
        podman("pause", name)
        assert podman.inspect(name)["State"]["Status"] == "paused"
        freezer = [d for d in cgroup_dirs(container_cgroup(cid)) if "/freezer/" in d]
        if freezer:
            with open(os.path.join(freezer[0], "freezer.state")) as f:
                assert f.read().strip() == "FROZEN"
        with open(count) as f:
            a = f.read()
        time.sleep(0.5)
        with open(count) as f:
            assert f.read() == a, "counter moved while paused"
        podman("unpause", name)
        assert podman.inspect(name)["State"]["Status"] == "running"
        wait_for(lambda: open(count).read() != a, 5, what="counter to move after unpause")
    finally:
        podman("rm", "-f", "-t", "0", name, check=False)


def test_network_none(podman):
    r = podman("run", "--rm", "--network", "none", IMAGE, "sh", "-c", "ls /sys/class/net; ip -o addr")
    assert "lo" in r.stdout.split()
    assert "eth0" not in r.stdout


def test_default_bridge_network(podman, name):
    web = "mkdir -p /www && echo hello-bridge > /www/index.html && exec httpd -f -p 8080 -h /www"
    podman("run", "-d", "--name", name, IMAGE, "sh", "-c", web)
    try:
        net = podman.inspect(name)["NetworkSettings"]
        ip = net.get("IPAddress") or next(iter(net["Networks"].values()))["IPAddress"]
        assert ip, net
        # host side of the bridge -> container
        def fetch():
            r = podman.in_ns("/usr/bin/python3", "-c",
                             "import sys, urllib.request; sys.stdout.write(urllib.request."
                             f"urlopen('http://{ip}:8080/', timeout=2).read().decode())",
                             check=False)
            return r.stdout if r.returncode == 0 else None
        assert "hello-bridge" in wait_for(fetch, 10, what="httpd on the bridge")
        # container -> container over the bridge, with a default route
        # (busybox-static's wget crashes in glibc's resolver: use nc)
        r = podman("run", "--rm", IMAGE, "sh", "-c",
                   f"ip route; printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 5 {ip} 8080")
        assert "default via" in r.stdout
        assert "hello-bridge" in r.stdout
    finally:
        podman("rm", "-f", "-t", "0", name, check=False)


def test_runtime_error_comes_from_json_log(podman, name):
    """podman reads the runtime's --log (JSON) and shows its message."""
    podman("create", "--name", name, IMAGE, "/no/such/binary")
    try:
        r = podman("start", name, check=False)
        assert r.returncode != 0
        assert "/no/such/binary" in r.stderr
        cid = podman.inspect(name)["Id"]
        log = os.path.join(podman.base, "runroot", "overlay-containers", cid, "userdata", "oci-log")
        with open(log) as f:
            entries = [json.loads(line) for line in f if line.strip()]
        errors = [e for e in entries if e.get("level") == "error"]
        assert errors, f"no error entry in the runtime's JSON log: {entries}"
        assert errors[-1]["msg"] in r.stderr, (errors[-1], r.stderr)
        # podman shows the message, not the raw log line
        assert '"level"' not in r.stderr
    finally:
        podman("rm", "-f", "-t", "0", name, check=False)


def test_rlimit_above_hard_limit_is_a_clear_error(podman, name):
    """nofile above the hard limit cannot be set without CAP_SYS_RESOURCE."""
    with open("/proc/self/limits") as f:
        hard = int([l for l in f if l.startswith("Max open files")][0].split()[4])
    want = hard * 2
    r = podman("run", "--rm", "--name", name, "--ulimit", f"nofile={want}:{want}", IMAGE,
               "true", check=False)
    assert r.returncode != 0, "raising nofile past the hard limit succeeded?"
    assert "rlimit" in r.stderr.lower(), r.stderr
    if IS_HUSK:
        assert "NOFILE" in r.stderr, r.stderr
