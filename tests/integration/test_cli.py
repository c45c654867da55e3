"""The command-line surface: global flags, help, state/list/spec/features JSON."""
import json
import os
import re
import shutil
import subprocess
import tempfile

import pytest

from conftest import HUSK
from helpers import (IS_HUSK, assert_failed, assert_nothing_left, husk_only, run_detached, runtime_name,
                     sh, state, wait_for)

COMMANDS = ["create", "start", "run", "state", "kill", "delete", "list", "spec", "features"]
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def test_version():
    r = subprocess.run([HUSK, "--version"], capture_output=True, text=True, timeout=10)
    assert r.returncode == 0
    assert re.search(r"version \d+\.\d+", r.stdout), r.stdout
    assert re.search(r"^spec: 1\.\d+\.\d+", r.stdout, re.M), r.stdout


def test_global_help_lists_commands():
    r = subprocess.run([HUSK, "--help"], capture_output=True, text=True, timeout=10)
    assert r.returncode == 0
    for c in COMMANDS:
        assert re.search(rf"\b{c}\b", r.stdout), f"--help does not list {c}"


@pytest.mark.parametrize("cmd", COMMANDS)
def test_command_help(cmd):
    for flag in ("--help", "-h"):
        r = subprocess.run([HUSK, cmd, flag], capture_output=True, text=True, timeout=10)
        assert r.returncode == 0, f"{cmd} {flag}: {r.stderr}"
        assert cmd in r.stdout and "usage" in r.stdout.lower(), r.stdout


def test_unknown_command_fails(runtime):
    r = runtime.run("frobnicate")
    assert r.returncode != 0
    assert "frobnicate" in r.stderr + r.stdout


def test_unknown_flag_fails(runtime):
    r = runtime.run("list", "--no-such-flag")
    assert_failed(r, "no-such-flag")


def test_root_holds_state(runtime, make_bundle):
    b = make_bundle(["sleep", "100"])
    cid = runtime.new_id()
    r = runtime.run("create", "--bundle", b.path, cid)
    assert r.returncode == 0, r.stderr
    assert os.path.isdir(os.path.join(runtime.root, cid))
    # Another --root does not see it.
    other = tempfile.mkdtemp(prefix="husk-test-other-", dir="/run")
    try:
        r2 = subprocess.run([HUSK, "--root", other, "state", cid], capture_output=True, text=True)
        assert r2.returncode != 0
    finally:
        shutil.rmtree(other, ignore_errors=True)
    assert runtime.run("delete", "--force", cid).returncode == 0
    assert not os.path.exists(os.path.join(runtime.root, cid))


@husk_only("husk's own state layout")
def test_run_keeps_its_state_in_one_file(runtime, make_bundle):
    """`run` needs no fifos: <root>/<id> is the state file (one inode on
    ext4 instead of a directory and a file); every command works on it."""
    b = make_bundle(["sleep", "100"])
    cid = runtime.new_id()
    run_detached(runtime, b, cid)
    path = os.path.join(runtime.root, cid)
    assert os.path.isfile(path)
    with open(path) as f:
        saved = json.load(f)
    assert saved["id"] == cid and saved["config"]
    assert runtime.run("exec", cid, "true").returncode == 0
    assert runtime.run("pause", cid).returncode == 0
    assert json.loads(runtime.run("state", cid).stdout)["status"] == "paused"
    assert runtime.run("resume", cid).returncode == 0
    r = runtime.run("update", "--pids-limit", "50", cid)
    assert r.returncode == 0, r.stderr
    assert [c["id"] for c in json.loads(runtime.run("list", "--format", "json").stdout)] == [cid]
    # A second run with the same id is refused and leaves the first alone.
    r = runtime.run("run", "-d", "--bundle", b.path, cid)
    assert r.returncode != 0 and "already exists" in r.stderr
    assert json.loads(runtime.run("state", cid).stdout)["status"] == "running"
    assert runtime.run("delete", "--force", cid).returncode == 0
    assert not os.path.exists(path)


@husk_only("husk's own state layout")
def test_run_replaces_a_stale_empty_state_file(runtime, make_bundle):
    """A husk killed while creating leaves an empty, unlocked state file:
    it must not block the id. One that another husk holds locked (being
    created) is left alone."""
    import fcntl
    b = make_bundle(["true"])
    os.makedirs(runtime.root, exist_ok=True)
    cid = runtime.new_id()
    path = os.path.join(runtime.root, cid)
    open(path, "w").close()
    r = runtime.run("run", "--bundle", b.path, cid)
    assert r.returncode == 0, r.stderr
    assert not os.path.exists(path)
    busy = runtime.new_id()
    path = os.path.join(runtime.root, busy)
    with open(path, "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        r = runtime.run("run", "--bundle", b.path, busy)
        assert_failed(r, "already exists")
        assert os.path.exists(path)
    os.unlink(path)


def _json_lines(path):
    with open(path) as f:
        lines = [l for l in f.read().splitlines() if l.strip()]
    return [json.loads(l) for l in lines]


def test_log_json_error_is_last_line(runtime, tmp_path):
    log = tmp_path / "log.json"
    r = subprocess.run([HUSK, "--root", runtime.root, "--log", str(log), "--log-format", "json",
                        "start", "no-such-container"], capture_output=True, text=True)
    assert r.returncode != 0
    entries = _json_lines(log)
    assert entries, "nothing logged"
    for e in entries:
        assert {"level", "msg", "time"} <= set(e), e
        assert RFC3339.match(e["time"]), e["time"]
    assert entries[-1]["level"] == "error"
    assert "exist" in entries[-1]["msg"]


def test_log_json_create_failure(runtime, make_bundle, tmp_path):
    # What containerd shows the user: the last error line of the log.
    b = make_bundle(["/no/such/binary"])
    cid = runtime.new_id()
    log = tmp_path / "log.json"
    r = runtime.run("--log", str(log), "--log-format", "json", "create", "--bundle", b.path, cid)
    assert r.returncode != 0
    last = _json_lines(log)[-1]
    assert last["level"] == "error"
    assert "/no/such/binary" in last["msg"], last
    assert_nothing_left(runtime, cid, b)


def test_log_text(runtime, tmp_path):
    log = tmp_path / "log.txt"
    r = runtime.run("--log", str(log), "start", "no-such-container")
    assert r.returncode != 0
    text = log.read_text()
    assert "exist" in text and "error" in text


def test_debug_flag_accepted(runtime):
    r = runtime.run("--debug", "list")
    assert r.returncode == 0, r.stderr


@husk_only("runc has a systemd driver; husk has none yet and must say so")
def test_systemd_cgroup_clear_error(runtime, make_bundle):
    b = make_bundle(["true"])
    cid = runtime.new_id()
    r = runtime.run("--systemd-cgroup", "create", "--bundle", b.path, cid)
    assert_failed(r, "systemd")
    assert_nothing_left(runtime, cid, b)


def test_state_json(runtime, make_bundle):
    b = make_bundle(["sleep", "100"])
    b.config["annotations"] = {"org.example.key": "value", "husk.test": "1"}
    b.save()
    cid = runtime.new_id()
    assert runtime.run("create", "--bundle", b.path, cid).returncode == 0
    s = state(runtime, cid)
    assert s["ociVersion"].startswith("1.")
    assert s["id"] == cid
    assert s["status"] == "created"
    assert isinstance(s["pid"], int) and s["pid"] > 0
    assert os.path.exists(f"/proc/{s['pid']}")
    assert s["bundle"] == os.path.realpath(b.path)
    assert s["rootfs"] == os.path.realpath(b.rootfs)
    assert RFC3339.match(s["created"]), s["created"]
    assert "owner" in s
    assert s["annotations"] == {"org.example.key": "value", "husk.test": "1"}
    assert runtime.run("start", cid).returncode == 0
    assert state(runtime, cid)["status"] == "running"
    assert runtime.run("kill", cid, "KILL").returncode == 0
    wait_for(lambda: state(runtime, cid)["status"] == "stopped", what="stopped")
    assert runtime.run("delete", cid).returncode == 0
    assert runtime.run("state", cid).returncode != 0


def test_state_of_missing_container(runtime):
    r = runtime.run("state", "no-such-ctr")
    assert_failed(r, "exist")


def test_list_formats(runtime, make_bundle):
    b = make_bundle(["sleep", "100"])
    ids = [runtime.new_id("list") for _ in range(2)]
    for cid in ids:
        assert runtime.run("create", "--bundle", b.path, cid).returncode == 0
    assert runtime.run("start", ids[1]).returncode == 0

    q = runtime.run("list", "-q")
    assert q.returncode == 0
    assert sorted(q.stdout.split()) == sorted(ids)

    j = runtime.run("list", "--format", "json")
    assert j.returncode == 0
    entries = {e["id"]: e for e in json.loads(j.stdout)}
    assert set(entries) == set(ids)
    assert entries[ids[0]]["status"] == "created"
    assert entries[ids[1]]["status"] == "running"
    for e in entries.values():
        assert e["pid"] > 0 and e["bundle"] == os.path.realpath(b.path)

    t = runtime.run("list", "--format", "table")
    assert t.returncode == 0
    lines = t.stdout.splitlines()
    assert lines[0].split()[:4] == ["ID", "PID", "STATUS", "BUNDLE"]
    rows = {l.split()[0]: l.split() for l in lines[1:]}
    assert rows[ids[0]][2] == "created" and rows[ids[1]][2] == "running"
    assert t.stdout == runtime.run("list").stdout  # table is the default


def test_list_empty(runtime):
    r = runtime.run("list", "--format", "json")
    assert r.returncode == 0
    assert json.loads(r.stdout or "null") in (None, [])
    assert runtime.run("list", "-q").stdout.strip() == ""


def test_spec_writes_default_config(tmp_path):
    r = subprocess.run([HUSK, "spec"], cwd=tmp_path, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    c = json.loads((tmp_path / "config.json").read_text())
    assert c["ociVersion"].startswith("1.")
    assert c["root"]["path"] == "rootfs"
    assert c["process"]["args"]
    types = {n["type"] for n in c["linux"]["namespaces"]}
    assert {"pid", "mount", "ipc", "uts", "network"} <= types
    # A second spec must not overwrite it.
    r2 = subprocess.run([HUSK, "spec"], cwd=tmp_path, capture_output=True, text=True)
    assert r2.returncode != 0 and "config.json" in r2.stderr + r2.stdout


def test_spec_bundle_flag(tmp_path):
    d = tmp_path / "b"
    d.mkdir()
    r = subprocess.run([HUSK, "spec", "--bundle", str(d)], cwd="/", capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert json.loads((d / "config.json").read_text())["root"]["path"] == "rootfs"


def test_spec_rootless(tmp_path):
    r = subprocess.run([HUSK, "spec", "--rootless"], cwd=tmp_path, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    c = json.loads((tmp_path / "config.json").read_text())
    types = {n["type"] for n in c["linux"]["namespaces"]}
    assert "user" in types
    assert c["linux"]["uidMappings"][0]["hostID"] == os.getuid()
    assert c["linux"]["gidMappings"][0]["hostID"] == os.getgid()
    assert "network" not in types  # rootless can't configure a new netns


def _run_spec_bundle(runtime, make_bundle, tmp_path, rootless):
    """Run the config that spec wrote, untouched, on a terminal."""
    import pty
    b = make_bundle()
    os.unlink(os.path.join(b.path, "config.json"))
    args = ["spec", "--bundle", b.path] + (["--rootless"] if rootless else [])
    assert subprocess.run([HUSK, *args], capture_output=True).returncode == 0
    cid = runtime.new_id("spec")
    master, slave = pty.openpty()
    p = subprocess.Popen(runtime.cmd("run", "--bundle", b.path, cid), stdin=slave, stdout=slave,
                         stderr=slave, start_new_session=True)
    os.close(slave)
    os.write(master, b"echo pid=$$ host=$(hostname); exit 3\n")
    out = b""
    try:
        rc = p.wait(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    return rc, out.decode(errors="replace")


@pytest.mark.parametrize("rootless", [False, True], ids=["default", "rootless"])
def test_spec_config_runs_as_is(runtime, make_bundle, tmp_path, rootless):
    rc, out = _run_spec_bundle(runtime, make_bundle, tmp_path, rootless)
    assert "pid=1 host=" in out, out
    assert rc == 3, out


def test_features_json():
    r = subprocess.run([HUSK, "features"], capture_output=True, text=True, timeout=10)
    assert r.returncode == 0, r.stderr
    f = json.loads(r.stdout)
    assert f["ociVersionMin"].startswith("1.0")
    assert f["ociVersionMax"].startswith("1.")
    for h in ("prestart", "createRuntime", "createContainer", "startContainer", "poststart",
              "poststop"):
        assert h in f["hooks"]
    for o in ("ro", "nosuid", "nodev", "noexec", "bind", "rbind", "rprivate"):
        assert o in f["mountOptions"]
    ns = set(f["linux"]["namespaces"])
    assert {"pid", "network", "mount", "ipc", "uts", "user", "cgroup"} <= ns
    assert "CAP_SYS_ADMIN" in f["linux"]["capabilities"]


@husk_only("husk supports time namespaces and OCI 1.3; runc 1.1 does not")
def test_features_true_to_husk():
    f = json.loads(subprocess.run([HUSK, "features"], capture_output=True, text=True).stdout)
    assert "time" in f["linux"]["namespaces"]
    assert f["ociVersionMax"].startswith("1.3")
    assert f["ociVersionMin"] == "1.0.0"


VERSIONS = ["1.0.0", "1.0.1", "1.0.2", "1.0.2-dev", "1.1.0", "1.1.0-rc.1", "1.2.0", "1.2.1",
            "1.3.0"]


@pytest.mark.parametrize("version", VERSIONS)
def test_oci_version_accepted(runtime, make_bundle, version):
    b = make_bundle(["sh", "-c", "echo ok"])
    b.config["ociVersion"] = version
    b.save()
    cid = runtime.new_id()
    r = runtime.run("run", "--bundle", b.path, cid)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "ok"


def test_unknown_fields_ignored(runtime, make_bundle):
    b = make_bundle(["sh", "-c", "echo ok"])
    b.config["x-future-field"] = {"a": [1, 2, 3]}
    b.config["process"]["futureKnob"] = True
    b.config["linux"]["someNewThing"] = "yes"
    b.config["mounts"][0]["futureOption"] = 1
    b.save()
    cid = runtime.new_id()
    r = runtime.run("run", "--bundle", b.path, cid)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "ok"


@husk_only("runc 1.1 accepts any ociVersion")
@pytest.mark.parametrize("version", ["0.5.0", "2.0.0", "1.4.0", "banana"])
def test_oci_version_out_of_range_rejected(runtime, make_bundle, version):
    b = make_bundle(["true"])
    b.config["ociVersion"] = version
    b.save()
    cid = runtime.new_id()
    r = runtime.run("create", "--bundle", b.path, cid)
    assert_failed(r, "ociVersion", version)
    assert_nothing_left(runtime, cid, b)
