"""Cgroups end to end: limits seen from the host's cgroup files (and from
inside where the container can read them), pause/resume, update, ps,
events (stats and oom), a fork bomb held by pids.limit, device rules, and
no cgroup left after delete.

Run against runc too: HUSK_BIN=/usr/sbin/runc /usr/bin/python3 -m pytest tests/integration/test_cgroups.py
"""
import json
import os
import subprocess
import time

import pytest

from helpers import IS_HUSK, run_detached, state

CG = "/sys/fs/cgroup"
PURE_V2 = os.path.exists(os.path.join(CG, "cgroup.controllers"))


def host_dir(ctrl, path):
    """The container's directory for controller `ctrl` on this host."""
    return os.path.join(CG, path.lstrip("/")) if PURE_V2 else os.path.join(CG, ctrl, path.lstrip("/"))


def read(ctrl, path, name):
    with open(os.path.join(host_dir(ctrl, path), name)) as f:
        return f.read().strip()


def cpu_usage_ns(path):
    if PURE_V2:
        for line in read("cpu", path, "cpu.stat").splitlines():
            if line.startswith("usage_usec "):
                return int(line.split()[1]) * 1000
    return int(read("cpuacct", path, "cpuacct.usage"))


def all_dirs(path):
    if PURE_V2:
        return [host_dir("", path)]
    return [os.path.join(CG, d, path.lstrip("/")) for d in os.listdir(CG)
            if os.path.isdir(os.path.join(CG, d))]


def leftover(path):
    return [d for d in all_dirs(path) if os.path.exists(d)]






def wait_for(pred, timeout=10.0, step=0.05):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return True
        time.sleep(step)
    return pred()


@pytest.fixture
def cg_container(runtime, make_bundle):
    """make(args, resources) -> (cid, cgroupsPath, bundle); deleted after."""
    made = []

    def make(args, resources=None, config_edit=None, run=True):
        cid = runtime.new_id("cgroups")
        path = f"/husk-itest-{cid}"
        b = make_bundle(args=args)
        b.config["linux"]["cgroupsPath"] = path
        if resources:
            b.config["linux"]["resources"].update(resources)
        if config_edit:
            config_edit(b.config)
        b.save()
        made.append((cid, path))
        if run:
            run_detached(runtime, b, cid)
        return cid, path, b

    yield make
    for cid, path in made:
        runtime.run("delete", "--force", cid)
        assert not leftover(path), f"cgroup left behind: {leftover(path)}"


def test_limits_in_host_files(runtime, cg_container):
    cid, path, _ = cg_container(["sleep", "100"], {
        "memory": {"limit": 64 << 20, "reservation": 32 << 20},
        "cpu": {"shares": 512, "quota": 25000, "period": 100000, "cpus": "0"},
        "pids": {"limit": 42},
    })
    if PURE_V2:
        assert read("memory", path, "memory.max") == str(64 << 20)
        assert read("memory", path, "memory.low") == str(32 << 20)
        assert read("cpu", path, "cpu.max") == "25000 100000"
    else:
        assert read("memory", path, "memory.limit_in_bytes") == str(64 << 20)
        assert read("memory", path, "memory.soft_limit_in_bytes") == str(32 << 20)
        assert read("cpu", path, "cpu.shares") == "512"
        assert read("cpu", path, "cpu.cfs_quota_us") == "25000"
        assert read("cpu", path, "cpu.cfs_period_us") == "100000"
    assert read("cpuset", path, "cpuset.cpus") == "0"
    assert read("pids", path, "pids.max") == "42"
    # The init is in the cgroup.
    pid = state(runtime, cid)["pid"]
    assert str(pid) in read("pids", path, "cgroup.procs").split()


def test_limits_seen_inside(runtime, cg_container):
    """The container reads its own limits from /proc/self/cgroup + /sys/fs/cgroup."""
    script = ("cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max; "
              "cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max")
    cid, path, b = cg_container(["sh", "-c", script], {"memory": {"limit": 48 << 20}, "pids": {"limit": 17}},
                                run=False)
    r = runtime.run("run", "--bundle", b.path, cid, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == [str(48 << 20), "17"]


def test_fork_bomb_stopped_by_pids_limit(runtime, cg_container):
    # busybox sh gives up when fork fails, so the bomb runs in a child
    # shell and the init survives it.
    bomb = "sh -c 'while true; do sleep 100 & done' 2>/dev/null; sleep 100"
    cid, path, _ = cg_container(["sh", "-c", bomb], {"pids": {"limit": 20}})
    # "max N" in pids.events: N forks refused at the limit.
    assert wait_for(lambda: int(read("pids", path, "pids.events").split()[1]) > 0)
    time.sleep(0.3)
    assert 15 <= int(read("pids", path, "pids.current")) <= 20
    assert state(runtime, cid)["status"] == "running"
    # The runtime can still kill everything and remove the cgroup.
    r = runtime.run("delete", "--force", cid)
    assert r.returncode == 0, r.stderr
    assert not leftover(path)


def test_pause_resume(runtime, cg_container):
    cid, path, _ = cg_container(["sh", "-c", "while :; do :; done"])
    assert state(runtime, cid)["status"] == "running"
    r = runtime.run("pause", cid)
    assert r.returncode == 0, r.stderr
    assert state(runtime, cid)["status"] == "paused"
    a = cpu_usage_ns(path)
    time.sleep(0.3)
    assert cpu_usage_ns(path) == a, "a paused container made progress"
    r = runtime.run("resume", cid)
    assert r.returncode == 0, r.stderr
    assert state(runtime, cid)["status"] == "running"
    time.sleep(0.3)
    assert cpu_usage_ns(path) > a
    # resume of a running container is an error
    assert runtime.run("resume", cid).returncode != 0


def test_update_flags_and_resources_file(runtime, cg_container, tmp_path):
    cid, path, _ = cg_container(["sleep", "100"], {"memory": {"limit": 64 << 20}, "pids": {"limit": 30}})
    r = runtime.run("update", "--memory", "128m", "--pids-limit", "50", "--cpu-quota", "20000",
                    "--cpu-period", "100000", cid)
    assert r.returncode == 0, r.stderr
    mem = read("memory", path, "memory.max" if PURE_V2 else "memory.limit_in_bytes")
    assert mem == str(128 << 20)
    assert read("pids", path, "pids.max") == "50"
    # ... and from inside the container.
    r = runtime.run("exec", cid, "sh", "-c", "cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || "
                    "cat /sys/fs/cgroup/pids.max")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "50"
    if PURE_V2:
        assert read("cpu", path, "cpu.max") == "20000 100000"
    else:
        assert read("cpu", path, "cpu.cfs_quota_us") == "20000"
    res = tmp_path / "res.json"
    res.write_text(json.dumps({"memory": {"limit": 96 << 20}, "pids": {"limit": 60}}))
    r = runtime.run("update", "--resources", str(res), cid)
    assert r.returncode == 0, r.stderr
    assert read("memory", path, "memory.max" if PURE_V2 else "memory.limit_in_bytes") == str(96 << 20)
    assert read("pids", path, "pids.max") == "60"
    r = runtime.run("update", "-r", "-", cid, input=json.dumps({"pids": {"limit": 70}}))
    assert r.returncode == 0, r.stderr
    assert read("pids", path, "pids.max") == "70"


@pytest.mark.skipif(PURE_V2, reason="v1 refuses a limit below the usage; v2 reclaims/kills")
def test_update_refused_value_is_an_error(runtime, cg_container):
    cid, path, _ = cg_container(["sleep", "100"])
    r = runtime.run("update", "--memory", "1", cid)
    assert r.returncode != 0
    # husk: "write `memory.limit_in_bytes` = `1`: Device or resource busy";
    # runc: "unable to set memory limit to 1 (current usage: ...)".
    assert "memory" in r.stderr and ("busy" in r.stderr or "unable to set" in r.stderr), r.stderr
    assert read("memory", path, "memory.limit_in_bytes") != "1"


def test_ps_json_and_table(runtime, cg_container):
    cid, path, _ = cg_container(["sh", "-c", "sleep 100 & exec sleep 101"])
    init = state(runtime, cid)["pid"]
    assert wait_for(lambda: len(read("pids", path, "cgroup.procs").split()) == 2)
    r = runtime.run("ps", "--format", "json", cid)
    assert r.returncode == 0, r.stderr
    pids = json.loads(r.stdout)
    assert init in pids and len(pids) == 2
    assert sorted(pids) == sorted(int(p) for p in read("pids", path, "cgroup.procs").split())
    r = runtime.run("ps", cid)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.strip().splitlines()
    assert "PID" in lines[0].split()
    assert len(lines) == 3 and all("sleep" in ln for ln in lines[1:])


def test_events_stats(runtime, cg_container):
    cid, path, _ = cg_container(["sleep", "100"], {"memory": {"limit": 64 << 20}, "pids": {"limit": 33}})
    r = runtime.run("events", "--stats", cid)
    assert r.returncode == 0, r.stderr
    ev = json.loads(r.stdout)
    assert ev["type"] == "stats" and ev["id"] == cid
    data = ev["data"]
    assert data["memory"]["usage"]["limit"] == 64 << 20
    assert data["memory"]["usage"]["usage"] > 0
    assert data["pids"] == {"current": 1, "limit": 33}
    assert "usage" in data["cpu"] and "hugetlb" in data and "blkio" in data


def test_oom_event(runtime, cg_container):
    hog = "sleep 1; a=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; while true; do a=$a$a; done"
    cid, path, _ = cg_container(["sh", "-c", hog], {"memory": {"limit": 32 << 20, "swap": 32 << 20}})
    p = subprocess.Popen(runtime.cmd("events", "--interval", "1s", cid), stdout=subprocess.PIPE, text=True)
    types = []
    try:
        end = time.time() + 20
        while time.time() < end and "oom" not in types:
            line = p.stdout.readline()
            if not line:
                break
            ev = json.loads(line)
            assert ev["id"] == cid
            types.append(ev["type"])
    finally:
        p.kill()
        p.wait()
    assert "oom" in types, types
    assert wait_for(lambda: state(runtime, cid)["status"] == "stopped")


def test_denied_device_cannot_be_opened(runtime, cg_container):
    """/dev/kmsg bound in from the host is not in the allowed list."""
    def edit(c):
        c["mounts"].append({"destination": "/dev/hostkmsg", "type": "bind", "source": "/dev/kmsg",
                            "options": ["bind"]})
        c["linux"]["resources"]["devices"] = [{"allow": False, "access": "rwm"}]

    script = "head -c1 /dev/hostkmsg; echo rc=$?; echo x > /dev/null && echo null-ok"
    cid, path, b = cg_container(["sh", "-c", script], config_edit=edit, run=False)
    r = runtime.run("run", "--bundle", b.path, cid, stdin=subprocess.DEVNULL)
    out = r.stdout + r.stderr
    assert "Operation not permitted" in out, out
    assert "rc=1" in out and "null-ok" in out, out


def test_delete_removes_cgroup_everywhere(runtime, cg_container):
    cid, path, _ = cg_container(["sleep", "100"])
    assert all(os.path.isdir(d) for d in [host_dir("memory", path), host_dir("pids", path)])
    r = runtime.run("delete", "--force", cid)
    assert r.returncode == 0, r.stderr
    assert not leftover(path)


def cgroup_lines(pid="self"):
    """{controllers: path} from /proc/<pid>/cgroup ("" is the v2 hierarchy)."""
    with open(f"/proc/{pid}/cgroup") as f:
        return {ln.split(":", 2)[1]: ln.split(":", 2)[2] for ln in f.read().splitlines()}


def test_default_cgroup_path_is_removed(runtime, make_bundle):
    """No cgroupsPath: <the runtime's own cgroup>/<id> in every hierarchy
    (as runc), removed on delete; the parent is not the runtime's to remove.
    husk on v1 without cpus/mems: the runtime's own cpuset cgroup (see
    test_cgroups_cpuset.py)."""
    cid = runtime.new_id("cgroups")
    b = make_bundle(args=["sleep", "100"])
    run_detached(runtime, b, cid)
    pid = state(runtime, cid)["pid"]
    own, theirs = cgroup_lines(), cgroup_lines(pid)
    dirs = []
    for ctrls, path in theirs.items():
        if ctrls not in own:
            continue
        if ctrls == "cpuset" and not PURE_V2 and IS_HUSK:
            assert path == own[ctrls], (ctrls, path, own[ctrls])
            continue
        assert path == os.path.join(own[ctrls], cid), (ctrls, path, own[ctrls])
        hier = "" if PURE_V2 else "unified" if ctrls == "" else ctrls.replace("name=", "")
        d = os.path.join(CG, hier, path.lstrip("/"))
        if os.path.isdir(d):
            dirs.append(d)
    assert dirs
    r = runtime.run("delete", "--force", cid)
    assert r.returncode == 0, r.stderr
    assert not [d for d in dirs if os.path.exists(d)]
    assert all(os.path.isdir(os.path.dirname(d)) for d in dirs)


def test_kill_all_with_host_pid_namespace(runtime, cg_container):
    """Without a PID namespace, killing the init leaves its children: --all
    reaches them through the cgroup."""
    def edit(c):
        c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "pid"]

    cid, path, _ = cg_container(["sh", "-c", "sleep 100 & sleep 101 & wait"], config_edit=edit)
    assert wait_for(lambda: len(read("pids", path, "cgroup.procs").split()) == 3)
    pids = [int(p) for p in read("pids", path, "cgroup.procs").split()]
    r = runtime.run("kill", "--all", cid, "KILL")
    assert r.returncode == 0, r.stderr
    assert wait_for(lambda: read("pids", path, "cgroup.procs") == "")
    for p in pids:
        assert not os.path.exists(f"/proc/{p}") or open(f"/proc/{p}/stat").read().split()[2] == "Z"
    r = runtime.run("delete", cid)
    assert r.returncode == 0, r.stderr
    assert not leftover(path)
