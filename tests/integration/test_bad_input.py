"""Every bad input of issue 2: a clear error naming what is wrong, a non-zero
exit, and nothing left behind (state dir, cgroup, process)."""
import json
import os
import re
import signal

import pytest

from helpers import (assert_failed, assert_nothing_left, husk_only, sh, state, status, wait_for)


def create_fails(runtime, b, *words, cid=None):
    cid = cid or runtime.new_id("bad")
    r = runtime.run("create", "--bundle", b.path, cid)
    out = assert_failed(r, *words)
    assert_nothing_left(runtime, cid, b)
    return out


def write_config_text(b, text):
    with open(os.path.join(b.path, "config.json"), "w") as f:
        f.write(text)


# -- malformed JSON ---------------------------------------------------------

BROKEN_LINE = '  "process": {"args": ["sh"],, "cwd": "/"},'
BROKEN = '{\n  "ociVersion": "1.0.2",\n' + BROKEN_LINE + '\n  "root": {"path": "rootfs"}\n}\n'


def test_malformed_json_fails_cleanly(runtime, make_bundle):
    b = make_bundle()
    write_config_text(b, BROKEN)
    create_fails(runtime, b)


@husk_only("runc's JSON errors carry no line/column")
def test_malformed_json_line_and_column(runtime, make_bundle):
    b = make_bundle()
    write_config_text(b, BROKEN)
    out = create_fails(runtime, b, "config.json")
    m = re.search(r"line (\d+),? col(?:umn)? (\d+)", out)
    assert m, f"no line/column in {out!r}"
    assert int(m.group(1)) == 3
    col = BROKEN_LINE.index(",,") + 2  # 1-based column of the second comma
    assert col - 1 <= int(m.group(2)) <= col + 1, (m.group(2), col)


@husk_only("runc's JSON errors carry no line/column")
def test_truncated_json_line(runtime, make_bundle):
    b = make_bundle()
    write_config_text(b, '{\n  "ociVersion": "1.0.2",\n  "process": {\n')
    out = create_fails(runtime, b)
    m = re.search(r"line (\d+)", out)
    assert m and int(m.group(1)) in (3, 4), out


def test_config_not_an_object(runtime, make_bundle):
    b = make_bundle()
    write_config_text(b, '["not", "an", "object"]\n')
    create_fails(runtime, b)


def test_missing_config(runtime, make_bundle):
    b = make_bundle()
    os.unlink(os.path.join(b.path, "config.json"))
    create_fails(runtime, b, "config.json")


# -- required fields --------------------------------------------------------

def test_no_process_for_create(runtime, make_bundle):
    b = make_bundle()
    del b.config["process"]
    b.save()
    create_fails(runtime, b, "process")


def test_empty_args(runtime, make_bundle):
    b = make_bundle()
    b.config["process"]["args"] = []
    b.save()
    create_fails(runtime, b, "args")


@husk_only("runc accepts a config without root (and fails later, unnamed)")
def test_no_root(runtime, make_bundle):
    b = make_bundle()
    del b.config["root"]
    b.save()
    create_fails(runtime, b, "root")


@husk_only("runc does not check the field types")
def test_wrong_type_names_json_path(runtime, make_bundle):
    b = make_bundle()
    b.config["process"]["user"]["uid"] = "zero"
    b.save()
    create_fails(runtime, b, "process.user.uid")


def test_missing_rootfs(runtime, make_bundle):
    b = make_bundle()
    b.config["root"]["path"] = "no-such-rootfs"
    b.save()
    create_fails(runtime, b, "no-such-rootfs")


@pytest.mark.parametrize("binary", ["/no/such/binary", "nosuchbinary"])
def test_nonexistent_binary(runtime, make_bundle, binary):
    b = make_bundle([binary, "arg"])
    create_fails(runtime, b, binary)


def test_binary_not_executable(runtime, make_bundle):
    b = make_bundle(["/etc/passwd"])
    create_fails(runtime, b, "/etc/passwd")


def test_unknown_namespace_type(runtime, make_bundle):
    b = make_bundle()
    b.config["linux"]["namespaces"].append({"type": "bogusns"})
    b.save()
    create_fails(runtime, b, "bogusns")


def test_namespace_path_not_a_namespace(runtime, make_bundle, tmp_path):
    b = make_bundle()
    notns = tmp_path / "not-a-namespace"
    notns.write_text("plain file\n")
    b.config["linux"]["namespaces"] = [
        {"type": "network", "path": str(notns)} if n["type"] == "network" else n
        for n in b.config["linux"]["namespaces"]]
    b.save()
    create_fails(runtime, b, "namespace")


@husk_only("runc's error does not name the path")
def test_namespace_path_not_a_namespace_named(runtime, make_bundle, tmp_path):
    b = make_bundle()
    notns = tmp_path / "not-a-namespace"
    notns.write_text("plain file\n")
    b.config["linux"]["namespaces"] = [
        {"type": "network", "path": str(notns)} if n["type"] == "network" else n
        for n in b.config["linux"]["namespaces"]]
    b.save()
    create_fails(runtime, b, str(notns))


@husk_only("runc does not check that the namespace has the right type")
def test_namespace_path_of_wrong_type(runtime, make_bundle):
    b = make_bundle()
    b.config["linux"]["namespaces"] = [
        {"type": "network", "path": "/proc/self/ns/uts"} if n["type"] == "network" else n
        for n in b.config["linux"]["namespaces"]]
    b.save()
    create_fails(runtime, b, "network")


def test_namespace_path_missing(runtime, make_bundle):
    b = make_bundle()
    b.config["linux"]["namespaces"] = [
        {"type": "network", "path": "/no/such/netns"} if n["type"] == "network" else n
        for n in b.config["linux"]["namespaces"]]
    b.save()
    create_fails(runtime, b, "/no/such/netns")


@husk_only("runc 1.1 only warns about unknown capabilities")
@pytest.mark.parametrize("cap_set", ["bounding", "effective", "permitted", "ambient"])
def test_unknown_capability(runtime, make_bundle, cap_set):
    b = make_bundle()
    b.config["process"]["capabilities"][cap_set].append("CAP_NOT_A_CAP")
    b.save()
    create_fails(runtime, b, "CAP_NOT_A_CAP")


# -- ids --------------------------------------------------------------------

@pytest.mark.parametrize("cid", ["a/b", "..", ".", "", "../escape", "bad id", "x:y"])
def test_invalid_id(runtime, make_bundle, cid):
    b = make_bundle(["sleep", "100"])
    before = set(os.listdir(runtime.root)) if os.path.isdir(runtime.root) else set()
    r = runtime.run("create", "--bundle", b.path, cid)
    assert_failed(r, "id")
    after = set(os.listdir(runtime.root)) if os.path.isdir(runtime.root) else set()
    assert after == before, f"state written for invalid id: {after - before}"
    assert not os.path.exists(os.path.join(os.path.dirname(runtime.root), "escape"))
    from helpers import procs_in_bundle
    assert not procs_in_bundle(b.path)


def test_duplicate_id(runtime, make_bundle):
    b = make_bundle(["sleep", "100"])
    cid = runtime.new_id("dup")
    assert runtime.run("create", "--bundle", b.path, cid).returncode == 0
    first = state(runtime, cid)
    b2 = make_bundle(["sleep", "100"])
    r = runtime.run("create", "--bundle", b2.path, cid)
    assert_failed(r, "exist")
    # the first container is untouched; the second left nothing
    assert state(runtime, cid) == first
    from helpers import procs_in_bundle
    assert not procs_in_bundle(b2.path)
    assert runtime.run("start", cid).returncode == 0
    assert state(runtime, cid)["status"] == "running"


# -- operations in the wrong state --------------------------------------------

def test_start_running_container(runtime, make_bundle):
    b = make_bundle(["sleep", "100"])
    cid = runtime.new_id()
    assert runtime.run("run", "-d", "--bundle", b.path, cid).returncode == 0
    r = runtime.run("start", cid)
    assert_failed(r, "running")
    assert state(runtime, cid)["status"] == "running"


def test_start_stopped_container(runtime, make_bundle):
    b = make_bundle(["true"])
    cid = runtime.new_id()
    assert runtime.run("run", "-d", "--bundle", b.path, cid).returncode == 0
    wait_for(lambda: status(runtime, cid) == "stopped", what="stopped")
    r = runtime.run("start", cid)
    assert_failed(r, "stopped")


def test_start_missing_container(runtime):
    assert_failed(runtime.run("start", "no-such-thing"), "exist")


def test_delete_running_container(runtime, make_bundle):
    b = make_bundle(["sleep", "100"])
    cid = runtime.new_id()
    assert runtime.run("run", "-d", "--bundle", b.path, cid).returncode == 0
    pid = state(runtime, cid)["pid"]
    r = runtime.run("delete", cid)
    assert_failed(r, "running")
    assert state(runtime, cid)["status"] == "running"
    assert os.path.exists(f"/proc/{pid}")


def test_delete_missing_container(runtime):
    assert_failed(runtime.run("delete", "no-such-thing"), "exist")


@pytest.mark.parametrize("sig", ["SIGFOO", "FOO", "999", "-1", "SIG", "KILLX"])
def test_unknown_signal(runtime, make_bundle, sig):
    b = make_bundle(["sleep", "100"])
    cid = runtime.new_id()
    assert runtime.run("run", "-d", "--bundle", b.path, cid).returncode == 0
    r = runtime.run("kill", cid, sig)
    assert r.returncode != 0
    if not sig.isdigit() and not sig.startswith("-"):
        assert_failed(r, sig)
    assert state(runtime, cid)["status"] == "running"


@husk_only("runc's error for a bad signal number does not name it")
@pytest.mark.parametrize("sig", ["999", "65"])
def test_unknown_signal_number_named(runtime, make_bundle, sig):
    b = make_bundle(["sleep", "100"])
    cid = runtime.new_id()
    assert runtime.run("run", "-d", "--bundle", b.path, cid).returncode == 0
    assert_failed(runtime.run("kill", cid, sig), sig)


# -- a hostile rootfs ------------------------------------------------------------

def _escape_bundle(make_bundle, tmp_path, link_target_kind):
    victim = tmp_path / "host-victim"
    victim.mkdir()
    (victim / "keep").write_text("host file\n")
    b = make_bundle(["sh", "-c", "echo inside > /evil/written 2>/dev/null; ls /evil; true"])
    b.config["root"]["readonly"] = False
    link = os.path.join(b.rootfs, "evil")
    if link_target_kind == "absolute":
        os.symlink(str(victim), link)
    else:
        depth = os.path.realpath(b.rootfs).count("/")
        os.symlink("../" * (depth + 2) + str(victim).lstrip("/"), link)
    b.config["mounts"].append({"destination": "/evil", "type": "tmpfs", "source": "tmpfs",
                               "options": ["size=1m"]})
    b.save()
    return b, victim


@pytest.mark.parametrize("kind", ["absolute", "relative"])
def test_mount_symlink_cannot_escape_rootfs(runtime, make_bundle, tmp_path, kind):
    """Whatever the runtime does with it, nothing may land on the host."""
    b, victim = _escape_bundle(make_bundle, tmp_path, kind)
    cid = runtime.new_id("escape")
    r = runtime.run("run", "--bundle", b.path, cid)
    assert sorted(os.listdir(victim)) == ["keep"], "container wrote through the symlink"
    with open("/proc/self/mounts") as f:
        assert str(victim) not in f.read(), "a mount landed on the host path"
    assert_nothing_left(runtime, cid, b)
    if r.returncode == 0:
        assert "keep" not in r.stdout.split(), "the host directory was visible inside"


@husk_only("issue 2: a mount target escaping the rootfs is an error")
def test_mount_symlink_escape_is_error(runtime, make_bundle, tmp_path):
    """A relative symlink whose .. climbs above the rootfs is hostile: refuse.
    (An absolute one is how images point inside themselves: see below.)"""
    b, victim = _escape_bundle(make_bundle, tmp_path, "relative")
    create_fails(runtime, b, "/evil")
    assert sorted(os.listdir(victim)) == ["keep"]


def test_mount_through_absolute_symlink_stays_inside(runtime, make_bundle):
    """/var/run -> /run, as in most images: a mount on /var/run/x lands on
    the rootfs's /run/x, never on the host's."""
    b = make_bundle(["sh", "-c", "grep -c ' /run/husk-x ' /proc/self/mounts; "
                                 "echo hi > /var/run/husk-x/f && cat /run/husk-x/f"])
    os.makedirs(os.path.join(b.rootfs, "var"), exist_ok=True)
    os.symlink("/run", os.path.join(b.rootfs, "var", "run"))
    b.config["mounts"].append({"destination": "/var/run/husk-x", "type": "tmpfs",
                               "source": "tmpfs", "options": ["size=1m"]})
    b.save()
    r = runtime.run("run", "--bundle", b.path, runtime.new_id())
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["1", "hi"]
    assert not os.path.exists("/run/husk-x"), "mount point created on the host"
