"""The v1 cpuset cgroup (v1 hosts and the v1 part of hybrid ones).

husk makes a container's cpuset cgroup only when the config asks for
cpus/mems (or mounts its cgroups read-write): the first non-root cpuset
cgroup of the host costs ~1.8 ms to create. Until then the container runs
in the cpuset cgroup husk runs in (for a cgroupsPath elsewhere: its
nearest existing ancestor); `update` with cpus/mems makes the cgroup and
moves every process of the container into it (see docs/cgroups.md).
"""
import json
import os
import time

import pytest

from helpers import IS_HUSK, husk_only, run_detached, state

CG = "/sys/fs/cgroup"
CPUSET = os.path.join(CG, "cpuset")
pytestmark = pytest.mark.skipif(
    os.path.exists(os.path.join(CG, "cgroup.controllers")) or not os.path.isfile(os.path.join(CPUSET, "cpuset.cpus")),
    reason="needs a v1 cpuset hierarchy")

FORKER = "while :; do sleep 0.01 & wait; done"


def cpuset_of(pid="self"):
    """The cpuset line of /proc/<pid>/cgroup, None when pid is gone."""
    try:
        with open(f"/proc/{pid}/cgroup") as f:
            for ln in f.read().splitlines():
                _, ctrls, path = ln.split(":", 2)
                if "cpuset" in ctrls.split(","):
                    return path
    except (FileNotFoundError, ProcessLookupError):
        return None
    raise AssertionError("no cpuset line")


def procs(d):
    with open(os.path.join(d, "cgroup.procs")) as f:
        return [int(p) for p in f.read().split()]


def read(d, name):
    with open(os.path.join(d, name)) as f:
        return f.read().strip()


def freezer_dir(pid):
    with open(f"/proc/{pid}/cgroup") as f:
        for ln in f.read().splitlines():
            _, ctrls, path = ln.split(":", 2)
            if ctrls == "freezer":
                return os.path.join(CG, "freezer", path.lstrip("/"))
    raise AssertionError("no freezer")






@pytest.fixture
def container(runtime, make_bundle):
    """make(args, resources=None, edit=None) -> (cid, init pid); deleted after."""
    made = []

    def make(args, resources=None, edit=None):
        cid = runtime.new_id("cpuset")
        b = make_bundle(args=args)
        if resources:
            b.config["linux"]["resources"].update(resources)
        if edit:
            edit(b.config, cid)
        b.save()
        made.append(cid)
        run_detached(runtime, b, cid)
        return cid, state(runtime, cid)["pid"]

    yield make
    for cid in made:
        runtime.run("delete", "--force", cid)


def own_dir(cid):
    """Where the container's cpuset cgroup goes without a cgroupsPath."""
    return os.path.join(CPUSET, cpuset_of().lstrip("/"), cid)


def exiting(pid):
    """Gone or a zombie: a task already exiting is not moved by the kernel."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except (FileNotFoundError, ProcessLookupError):
        return True


def all_moved(fdir, want, rounds=5):
    """Every process in the container's freezer cgroup has cpuset `want`,
    a few times over (the forker keeps making new ones)."""
    for _ in range(rounds):
        for p in procs(fdir):
            got = cpuset_of(p)
            if got not in (want, None):
                time.sleep(0.1)
                assert exiting(p), (p, got, want, open(f"/proc/{p}/stat").read())
        time.sleep(0.05)


@husk_only("no v1 cpuset cgroup without cpus/mems")
def test_default_container_shares_our_cpuset(runtime, container):
    cid, pid = container(["sleep", "100"])
    assert not os.path.exists(own_dir(cid))
    assert cpuset_of(pid) == cpuset_of()
    # Other hierarchies have the container's own directory.
    fdir = freezer_dir(pid)
    assert fdir.endswith("/" + cid) and os.path.isdir(fdir)
    # exec joins the same cpuset cgroup; stats report its cpus.
    r = runtime.run("exec", cid, "cat", "/proc/self/cgroup")
    assert r.returncode == 0, r.stderr
    assert f"cpuset:{cpuset_of()}\n" in r.stdout
    r = runtime.run("events", "--stats", cid)
    assert r.returncode == 0, r.stderr
    cpus = json.loads(r.stdout)["data"]["cpuset"]["cpus"]
    assert cpus == sorted(os.sched_getaffinity(pid)), cpus
    # ps, pause, kill --all, delete work without it.
    r = runtime.run("ps", "--format", "json", cid)
    assert r.returncode == 0 and json.loads(r.stdout) == [pid], (r.stdout, r.stderr)
    assert runtime.run("pause", cid).returncode == 0
    assert state(runtime, cid)["status"] == "paused"
    assert runtime.run("resume", cid).returncode == 0
    assert runtime.run("kill", "--all", cid, "KILL").returncode == 0
    r = runtime.run("delete", "--force", cid)
    assert r.returncode == 0, r.stderr
    assert not os.path.exists(fdir)
    assert os.path.isdir(os.path.join(CPUSET, cpuset_of().lstrip("/")))


@husk_only("no v1 cpuset cgroup without cpus/mems")
def test_shared_cpuset_is_not_shown_in_the_container(runtime, container):
    """The shared cpuset cgroup (ours, here the root) would show the names
    of every sibling cgroup: the container's /sys/fs/cgroup leaves cpuset
    out, as on a host without a cpuset hierarchy; the others are there."""
    cid, pid = container(["sleep", "100"])
    r = runtime.run("exec", cid, "ls", "/sys/fs/cgroup")
    assert r.returncode == 0, r.stderr
    names = r.stdout.split()
    assert "cpuset" not in names, names
    assert "memory" in names and "devices" in names, names
    r = runtime.run("exec", cid, "cat", "/proc/self/mountinfo")
    assert not [ln for ln in r.stdout.splitlines() if ln.endswith(",cpuset") or " /sys/fs/cgroup/cpuset " in ln]


def test_cpus_gives_its_own_cpuset(runtime, container):
    cid, pid = container(["sleep", "100"], {"cpu": {"cpus": "0"}})
    d = own_dir(cid)
    assert read(d, "cpuset.cpus") == "0"
    assert procs(d) == [pid]
    assert cpuset_of(pid) == os.path.join(cpuset_of(), cid)
    r = runtime.run("exec", cid, "cat", "/sys/fs/cgroup/cpuset/cpuset.cpus")
    assert r.returncode == 0 and r.stdout.strip() == "0", (r.stdout, r.stderr)
    assert runtime.run("delete", "--force", cid).returncode == 0
    assert not os.path.exists(d)


@husk_only("a read-write cgroup mount gets runc's layout")
def test_rw_cgroup_mount_gets_its_own_cpuset(runtime, container):
    def edit(c, cid):
        for m in c["mounts"]:
            if m["type"] == "cgroup":
                m["options"] = [o for o in m["options"] if o != "ro"] + ["rw"]

    cid, pid = container(["sleep", "100"], edit=edit)
    assert procs(own_dir(cid)) == [pid]


def test_update_moves_every_process(runtime, container):
    """A shell forking children in a loop: none is left behind, later ones
    and exec'd processes land in the new cgroup, delete removes it."""
    cid, pid = container(["sh", "-c", FORKER])
    fdir = freezer_dir(pid)
    time.sleep(0.1)
    r = runtime.run("update", "--cpuset-cpus", "0", cid)
    assert r.returncode == 0, r.stderr
    d = own_dir(cid)
    assert read(d, "cpuset.cpus") == "0"
    assert read(d, "cpuset.mems") == read(os.path.dirname(d), "cpuset.mems")
    want = os.path.join(cpuset_of(), cid)
    all_moved(fdir, want)
    assert state(runtime, cid)["status"] == "running"
    r = runtime.run("exec", cid, "cat", "/proc/self/cgroup")
    assert r.returncode == 0, r.stderr
    assert f"cpuset:{want}\n" in r.stdout
    r = runtime.run("events", "--stats", cid)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["data"]["cpuset"]["cpus"] == [0]
    # A second update writes the same cgroup.
    r = runtime.run("update", "-r", "-", cid, input=json.dumps({"cpu": {"cpus": "0-1" if os.cpu_count() > 1 else "0"}}))
    assert r.returncode == 0, r.stderr
    assert read(d, "cpuset.cpus") == ("0-1" if os.cpu_count() > 1 else "0")
    r = runtime.run("delete", "--force", cid)
    assert r.returncode == 0, r.stderr
    assert not os.path.exists(d)


def test_update_of_a_paused_container_keeps_it_paused(runtime, container):
    cid, pid = container(["sh", "-c", FORKER])
    fdir = freezer_dir(pid)
    assert runtime.run("pause", cid).returncode == 0
    r = runtime.run("update", "--resources", "-", cid, input=json.dumps({"cpu": {"mems": "0"}}))
    assert r.returncode == 0, r.stderr
    assert state(runtime, cid)["status"] == "paused"
    assert read(fdir, "freezer.state") == "FROZEN"
    want = os.path.join(cpuset_of(), cid)
    all_moved(fdir, want, rounds=1)
    assert runtime.run("resume", cid).returncode == 0
    all_moved(fdir, want)


def test_update_makes_missing_parents(runtime, container):
    """cgroupsPath under a parent that does not exist: update makes both,
    delete removes both."""
    def edit(c, cid):
        c["linux"]["cgroupsPath"] = f"/husk-itest-{cid}/ctr"

    cid, pid = container(["sh", "-c", FORKER], edit=edit)
    top = os.path.join(CPUSET, f"husk-itest-{cid}")
    if IS_HUSK:
        assert not os.path.exists(top) and cpuset_of(pid) == "/"
    r = runtime.run("update", "--cpuset-cpus", "0", cid)
    assert r.returncode == 0, r.stderr
    assert read(os.path.join(top, "ctr"), "cpuset.cpus") == "0"
    all_moved(freezer_dir(pid), f"/husk-itest-{cid}/ctr")
    assert runtime.run("delete", "--force", cid).returncode == 0
    assert not os.path.exists(top)


def test_update_refused_cpus_leaves_nothing(runtime, container):
    cid, pid = container(["sleep", "100"])
    r = runtime.run("update", "--cpuset-cpus", "0-4096", cid)
    assert r.returncode != 0
    if IS_HUSK:
        assert "cpuset.cpus" in r.stderr, r.stderr
        assert not os.path.exists(own_dir(cid))
        assert cpuset_of(pid) == cpuset_of()
    assert state(runtime, cid)["status"] == "running"
    # The container works on: a later good value makes the cgroup.
    r = runtime.run("update", "--cpuset-cpus", "0", cid)
    assert r.returncode == 0, r.stderr
    assert procs(own_dir(cid)) == [pid]
