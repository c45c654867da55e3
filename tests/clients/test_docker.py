"""docker.io 20.10 (Debian 12) runs containers through husk
(`dockerd --add-runtime husk=<path>`, `docker run --runtime husk`).

docker.io is unpacked by scripts/clients-setup.sh, not installed: its postinst
would start a dockerd on /var/lib/docker.  The test starts its own dockerd with
data-root, exec-root, pidfile and socket under a temporary directory.  dockerd
also writes /etc/docker/key.json, programs iptables and a bridge, and its
containerd's shims use /run/containerd/s/; so it runs in a private mount +
network namespace (fresh tmpfs on /run and /etc/docker there) and the host
keeps none of it.  Its default bridge network and iptables work there.
"""
import glob
import json
import os
import shutil
import tempfile

import pytest

from .clientlib import (DOCKER_DIR, IMAGE, Daemon, cgroup_dirs, remove_cgroup_tree, rmdir_cgroup,
                      require, run, tag, wait_for)

DOCKER = os.path.join(DOCKER_DIR, "usr", "bin", "docker")
DOCKERD = os.path.join(DOCKER_DIR, "usr", "sbin", "dockerd")


class Docker:
    def __init__(self, base, husk):
        self.base = base
        self.husk = husk
        self.sock = os.path.join(base, "docker.sock")
        self.env = dict(os.environ, DOCKER_CONFIG=os.path.join(base, "cli"))
        self.env["PATH"] = (f"{DOCKER_DIR}/usr/bin:{DOCKER_DIR}/usr/sbin:/usr/local/sbin:/usr/sbin:/sbin:"
                            + self.env.get("PATH", "/usr/bin:/bin"))
        self.env.pop("DOCKER_HOST", None)
        self.daemon = None

    def __call__(self, *args, check=True, timeout=60, **kw):
        return run([DOCKER, "-H", f"unix://{self.sock}", *args], check=check, timeout=timeout,
                   env=self.env, **kw)

    def inspect(self, name):
        return json.loads(self("inspect", name).stdout)[0]


@pytest.fixture(scope="module")
def docker(husk_bin, docker_archive):
    for b in (DOCKER, DOCKERD):
        require(b, f"{b} missing: docker.io not unpacked (run scripts/clients-setup.sh)")
    for b in ("containerd", "containerd-shim-runc-v2", "iptables", "unshare"):
        require(b)
    base = tempfile.mkdtemp(prefix="hc-dkr-")
    d = Docker(base, husk_bin)
    made_etc = not os.path.exists("/etc/docker")
    if made_etc:
        os.makedirs("/etc/docker")
    had_docker_cg = bool(cgroup_dirs("docker"))
    dockerd = " ".join([
        DOCKERD, "--data-root", f"{base}/data", "--exec-root", f"{base}/exec",
        "--pidfile", f"{base}/docker.pid", "-H", f"unix://{d.sock}",
        "--add-runtime", f"husk={husk_bin}", "--userland-proxy=false",
        "--exec-opt", "native.cgroupdriver=cgroupfs"])
    script = ("mount -t tmpfs -o mode=0755 husk-clients /run && "
              "mount -t tmpfs -o mode=0700 husk-clients /etc/docker && "
              f"ip link set lo up && exec {dockerd}")
    d.daemon = Daemon("dockerd", ["unshare", "--mount", "--net", "--propagation", "private",
                                  "sh", "-c", script],
                      os.path.join(base, "dockerd.log"), env=d.env)
    try:
        def up():
            if not d.daemon.alive():
                return "dead"
            return os.path.exists(d.sock) and d("version", check=False).returncode == 0
        if wait_for(up, 40, interval=0.3, what="dockerd") == "dead":
            pytest.skip(f"dockerd cannot run here: {d.daemon.tail()}")
        d("load", "-i", docker_archive, timeout=120)
        yield d
    finally:
        ids = []
        if d.daemon.alive():
            ids = d("ps", "-aq", "--no-trunc", check=False).stdout.split()
            if ids:
                d("rm", "-f", *ids, check=False, timeout=120)
        d.daemon.stop(timeout=40)
        shutil.rmtree(base, ignore_errors=True)
        if made_etc:
            os.rmdir("/etc/docker")
        # Only our containers' cgroups; /docker may be shared with another dockerd.
        left = []
        for cid in ids:
            left += remove_cgroup_tree(f"docker/{cid}")
        if not had_docker_cg:
            rmdir_cgroup("docker")
        assert not left, f"container cgroups left: {left}"


@pytest.fixture
def name():
    return tag()


def test_run_rm_output_and_exit_code(docker, name):
    r = docker("run", "--rm", "--runtime", "husk", "--name", name, IMAGE,
               "sh", "-c", "echo hello from $(hostname); echo to-stderr >&2; exit 3", check=False)
    assert r.returncode == 3, r
    assert "hello from" in r.stdout
    assert "to-stderr" in r.stderr
    assert docker("ps", "-aq", "--filter", f"name={name}").stdout.strip() == ""


def test_run_stdin_pipe(docker):
    r = docker("run", "--rm", "-i", "--runtime", "husk", IMAGE, "sh", "-c", "tr a-z A-Z; echo done",
               input="piped through husk\n")
    assert r.stdout == "PIPED THROUGH HUSK\ndone\n", r


def test_detached_exec_logs_stop_rm(docker, name):
    loop = 'echo started; trap "echo got-TERM; exit 0" TERM; while :; do sleep 0.1; done'
    docker("run", "-d", "--runtime", "husk", "--name", name, IMAGE, "sh", "-c", loop)
    info = docker.inspect(name)
    assert info["HostConfig"]["Runtime"] == "husk"
    assert info["State"]["Running"]
    wait_for(lambda: "started" in docker("logs", name).stdout, 10, what="first log line")
    # dockerd really runs our binary; 20.10 gives it --root <exec-root>/runtime-runc/moby
    roots = glob.glob(os.path.join(docker.base, "exec", "runtime-*", "moby"))
    assert roots, "no runtime root under the exec-root"
    r = run([docker.husk, "--root", roots[0], "state", info["Id"]])
    assert json.loads(r.stdout)["status"] == "running"

    r = docker("exec", name, "sh", "-c", "echo exec-out; cat /proc/1/cmdline")
    assert "exec-out" in r.stdout
    assert docker("exec", name, "sh", "-c", "exit 6", check=False).returncode == 6
    r = docker("exec", "-t", name, "sh", "-c", "tty")
    assert "/dev/pts/" in r.stdout
    # the default bridge network works (inside dockerd's own network namespace)
    r = docker("exec", name, "ip", "-o", "-4", "addr", "show", "eth0")
    assert "inet 172." in r.stdout, r.stdout

    docker("stop", "--time", "10", name)
    info = docker.inspect(name)
    assert not info["State"]["Running"]
    assert info["State"]["ExitCode"] == 0
    assert "got-TERM" in docker("logs", name).stdout
    docker("rm", name)
    assert docker("ps", "-aq", "--filter", f"name={name}").stdout.strip() == ""


def test_container_cgroup(docker, name):
    """cgroupfs driver: the container in /docker/<id>, removed with it."""
    cid = docker("run", "-d", "--runtime", "husk", "--name", name, "--memory", "64m", IMAGE,
                 "sleep", "1000").stdout.strip()
    try:
        state = docker.inspect(name)["State"]
        assert state["Running"] and state["Pid"] > 0, state
        pid = state["Pid"]
        with open(f"/proc/{pid}/cgroup") as f:
            assert f"memory:/docker/{cid}" in f.read()
        mem = [d for d in cgroup_dirs(f"docker/{cid}") if "/memory/" in d]
        assert mem, "no memory cgroup"
        with open(os.path.join(mem[0], "memory.limit_in_bytes")) as f:
            assert int(f.read()) == 64 * 1024 * 1024
    finally:
        docker("rm", "-f", name, check=False)
    assert not cgroup_dirs(f"docker/{cid}"), "container cgroup left after docker rm"


def test_runtime_error_is_shown(docker, name):
    r = docker("run", "--rm", "--runtime", "husk", "--name", name, IMAGE, "/no/such/binary",
               check=False)
    assert r.returncode != 0
    assert "/no/such/binary" in r.stderr, r.stderr
    docker("rm", "-f", name, check=False)
