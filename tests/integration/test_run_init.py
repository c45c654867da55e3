"""`run` and how its init is made.

When the parent has nothing to do before the init execs (no user
namespace, no prestart/createRuntime hook), `run` clones the init sharing
its memory until the exec (CLONE_VM | CLONE_VFORK, see src/container/spawn.c).
These tests check that everything a user sees is the same on both paths:
hooks, exit codes, errors after the last checks, detached containers,
several at once, and nothing left behind."""
import concurrent.futures
import os

import pytest

from helpers import (IS_HUSK, IS_RUNC, add_bind, assert_failed, assert_nothing_left, husk_only, pid_alive,
                     run_socket_activated, sh, state, wait_for)
from helpers import marker_order as order


def record_hook(outdir, kind):
    return {"path": "/bin/sh", "args": ["sh", "-c", f"echo {kind} >> {outdir}/order"]}


def in_container_hook(kind):
    return {"path": "/bin/sh", "args": ["sh", "-c", f"echo {kind} >> /out/order"]}


@pytest.mark.parametrize("parent_hooks", [False, True], ids=["init-hooks-only", "with-prestart"])
def test_run_hooks_and_exit_code(runtime, make_bundle, outdir, parent_hooks):
    b = make_bundle()
    add_bind(b, outdir)
    sh(b, "echo ran >> /out/order; exit 7")
    # createContainer runs before pivot_root: host paths.
    hooks = {"createContainer": [record_hook(outdir, "createContainer")],
             "startContainer": [in_container_hook("startContainer")],
             "poststart": [record_hook(outdir, "poststart")],
             "poststop": [record_hook(outdir, "poststop")]}
    if parent_hooks:
        hooks["prestart"] = [record_hook(outdir, "prestart")]
        hooks["createRuntime"] = [record_hook(outdir, "createRuntime")]
    b.config["hooks"] = hooks
    b.save()
    cid = runtime.new_id("runhooks")
    r = runtime.run("run", "--bundle", b.path, cid)
    assert r.returncode == 7, r.stderr
    o = order(outdir)
    if IS_RUNC:
        o.remove("poststart")  # runc 1.1 runs poststart at create: a known runc bug
        o.append("poststart")
    want = (["prestart", "createRuntime"] if parent_hooks else []) + ["createContainer", "startContainer"]
    assert o[:len(want)] == want, o
    assert "ran" in o and "poststart" in o and "poststop" in o, o
    assert IS_RUNC or o[-1] == "poststop", o
    assert o.index("startContainer") < o.index("ran")
    assert_nothing_left(runtime, cid, b)


@husk_only("which clone `run` uses is husk's own choice, named in its debug log")
@pytest.mark.parametrize("kind,shared", [(None, True), ("prestart", False), ("createRuntime", False),
                                         ("createContainer", True)])
def test_run_clone_choice(runtime, make_bundle, outdir, kind, shared):
    b = make_bundle(["true"])
    if kind:
        b.config["hooks"] = {kind: [{"path": "/bin/true"}]}
        b.save()
    cid = runtime.new_id("runclone")
    r = runtime.run("--debug", "run", "--bundle", b.path, cid)
    assert r.returncode == 0, r.stderr
    assert ("sharing our memory" in r.stderr) == shared, r.stderr
    assert ("fork-like clone" in r.stderr) == (not shared), r.stderr
    assert_nothing_left(runtime, cid, b)


def test_run_exec_format_error_after_checks(runtime, make_bundle):
    """The file exists and is executable, so every check before READY
    passes; the kernel's execve refuses it. The error must still reach the
    user as one message, and nothing may be left behind."""
    b = make_bundle(["/bad-binary"])
    with open(os.path.join(b.rootfs, "bad-binary"), "wb") as f:
        f.write(b"\x00\x01\x02 not an executable format\n")
    os.chmod(os.path.join(b.rootfs, "bad-binary"), 0o755)
    cid = runtime.new_id("runenoexec")
    r = runtime.run("run", "--bundle", b.path, cid)
    out = assert_failed(r, "exec", "format")
    if IS_HUSK:
        assert len(out.strip().splitlines()) == 1, out
    assert_nothing_left(runtime, cid, b)


def test_run_missing_executable(runtime, make_bundle):
    b = make_bundle(["/no/such/program"])
    cid = runtime.new_id("runmissing")
    r = runtime.run("run", "--bundle", b.path, cid)
    assert_failed(r, "/no/such/program")
    assert_nothing_left(runtime, cid, b)


def test_run_detached_then_kill(runtime, make_bundle):
    b = make_bundle(["sleep", "100"])
    cid = runtime.new_id("rund")
    r = runtime.run("run", "-d", "--bundle", b.path, cid)
    assert r.returncode == 0, r.stderr
    s = state(runtime, cid)
    assert s["status"] == "running" and pid_alive(s["pid"])
    with open(f"/proc/{s['pid']}/cmdline", "rb") as f:
        assert f.read().split(b"\0")[0] == b"sleep"
    with open(f"/proc/{s['pid']}/cgroup") as f:
        assert cid in f.read()
    assert runtime.run("kill", cid, "KILL").returncode == 0
    wait_for(lambda: state(runtime, cid)["status"] == "stopped", what="stopped")
    assert runtime.run("delete", cid).returncode == 0
    assert_nothing_left(runtime, cid, b)


def test_listen_fds_for_another_pid_are_not_passed(runtime, make_bundle, tmp_path):
    """LISTEN_FDS counts only when LISTEN_PID names the runtime (systemd's
    protocol; runc checks it too): otherwise fd 3 is not the container's."""
    b = make_bundle()
    sh(b, 'echo "fds=${LISTEN_FDS:-none}"; [ -e /proc/self/fd/3 ] && echo fd3-open || echo fd3-closed')
    f = tmp_path / "sock"
    f.write_text("listen-fd\n")
    r = run_socket_activated(runtime.cmd("run", "--bundle", b.path, runtime.new_id("runlisten")), 1, f)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["fds=none", "fd3-closed"], r.stdout


def test_run_several_at_once(runtime, make_bundle):
    b = make_bundle()
    sh(b, "echo hello-$(hostname)")
    ids = [runtime.new_id("runpar") for _ in range(8)]
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as ex:
        results = list(ex.map(lambda c: runtime.run("run", "--bundle", b.path, c), ids))
    for cid, r in zip(ids, results):
        assert r.returncode == 0, r.stderr
        assert r.stdout.strip() == "hello-husk", r.stdout
        assert_nothing_left(runtime, cid, b)
