"""create/start/run/kill/delete as a user drives them, checked from the host."""
import json
import os
import signal
import subprocess
import time

import pytest

from helpers import (add_bind, assert_failed, assert_nothing_left, pid_alive, sh, state, status,
                     wait_for)


def marker(outdir, name):
    return os.path.join(outdir, name)


def test_create_runs_nothing_until_start(runtime, make_bundle, outdir):
    b = make_bundle()
    add_bind(b, outdir)
    sh(b, "echo started > /out/started; sleep 100")
    cid = runtime.new_id()
    r = runtime.run("create", "--bundle", b.path, cid)
    assert r.returncode == 0, r.stderr
    s = state(runtime, cid)
    assert s["status"] == "created" and pid_alive(s["pid"])
    time.sleep(0.3)
    assert not os.path.exists(marker(outdir, "started")), "user process ran before start"
    assert runtime.run("start", cid).returncode == 0
    wait_for(lambda: os.path.exists(marker(outdir, "started")), what="process started")
    assert state(runtime, cid)["status"] == "running"
    assert runtime.run("kill", cid, "KILL").returncode == 0
    wait_for(lambda: status(runtime, cid) == "stopped", what="stopped")
    assert runtime.run("delete", cid).returncode == 0
    assert_nothing_left(runtime, cid, b)


def test_pid_is_init_of_container(runtime, make_bundle):
    b = make_bundle(["sleep", "100"])
    cid = runtime.new_id()
    assert runtime.run("create", "--bundle", b.path, cid).returncode == 0
    assert runtime.run("start", cid).returncode == 0
    pid = state(runtime, cid)["pid"]
    wait_for(lambda: open(f"/proc/{pid}/comm").read().strip() == "sleep", what="exec of sleep")
    with open(f"/proc/{pid}/status") as f:
        nspid = [l for l in f if l.startswith("NSpid:")][0].split()
    assert nspid[-1] == "1", nspid  # pid 1 in its own pid namespace
    assert runtime.run("delete", "--force", cid).returncode == 0
    assert not pid_alive(pid)
    assert_nothing_left(runtime, cid, b)


def test_process_exit_makes_stopped(runtime, make_bundle):
    b = make_bundle(["true"])
    cid = runtime.new_id()
    assert runtime.run("create", "--bundle", b.path, cid).returncode == 0
    assert runtime.run("start", cid).returncode == 0
    wait_for(lambda: status(runtime, cid) == "stopped", what="stopped")
    assert runtime.run("delete", cid).returncode == 0
    assert_nothing_left(runtime, cid, b)


def test_pid_file(runtime, make_bundle, tmp_path):
    b = make_bundle(["sleep", "100"])
    cid = runtime.new_id()
    pf = tmp_path / "ctr.pid"
    assert runtime.run("create", "--bundle", b.path, "--pid-file", str(pf), cid).returncode == 0
    assert int(pf.read_text().strip()) == state(runtime, cid)["pid"]


def test_pid_file_relative_to_cwd(runtime, make_bundle, tmp_path):
    b = make_bundle(["sleep", "100"])
    cid = runtime.new_id()
    r = runtime.run("create", "--bundle", b.path, "--pid-file", "rel.pid", cid, cwd=str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert int((tmp_path / "rel.pid").read_text()) == state(runtime, cid)["pid"]


def test_run_foreground_exit_code(runtime, make_bundle):
    b = make_bundle(["sh", "-c", "echo out; echo err >&2; exit 7"])
    cid = runtime.new_id()
    r = runtime.run("run", "--bundle", b.path, cid)
    assert r.returncode == 7
    assert r.stdout == "out\n" and r.stderr.endswith("err\n")
    # run removes the container once its process exits
    assert_nothing_left(runtime, cid, b)


def test_run_foreground_killed_by_signal(runtime, make_bundle):
    b = make_bundle(["sleep", "100"])
    cid = runtime.new_id()
    p = subprocess.Popen(runtime.cmd("run", "--bundle", b.path, cid), stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_for(lambda: status(runtime, cid) == "running", what="running")
        assert runtime.run("kill", cid, "KILL").returncode == 0
        assert p.wait(timeout=20) == 128 + signal.SIGKILL
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert_nothing_left(runtime, cid, b)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGUSR1])
def test_run_forwards_signals(runtime, make_bundle, outdir, sig):
    b = make_bundle()
    add_bind(b, outdir)
    n = int(sig)
    sh(b, f"trap 'echo got{n} > /out/got; exit {40 + n % 20}' {n}; touch /out/ready; "
          f"while :; do sleep 0.1; done")
    cid = runtime.new_id()
    p = subprocess.Popen(runtime.cmd("run", "--bundle", b.path, cid), stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_for(lambda: os.path.exists(marker(outdir, "ready")), what="trap installed")
        p.send_signal(sig)
        rc = p.wait(timeout=20)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert open(marker(outdir, "got")).read().strip() == f"got{n}"
    assert rc == 40 + n % 20
    assert_nothing_left(runtime, cid, b)


def test_run_detached(runtime, make_bundle):
    b = make_bundle(["sleep", "100"])
    cid = runtime.new_id()
    t = time.monotonic()
    r = runtime.run("run", "-d", "--bundle", b.path, cid)
    assert r.returncode == 0, r.stderr
    assert time.monotonic() - t < 10
    assert state(runtime, cid)["status"] == "running"
    r = runtime.run("delete", cid)
    assert_failed(r, "running")
    assert state(runtime, cid)["status"] == "running"
    assert runtime.run("delete", "--force", cid).returncode == 0
    assert_nothing_left(runtime, cid, b)


def test_delete_force_created(runtime, make_bundle):
    b = make_bundle(["sleep", "100"])
    cid = runtime.new_id()
    assert runtime.run("create", "--bundle", b.path, cid).returncode == 0
    pid = state(runtime, cid)["pid"]
    assert runtime.run("delete", "--force", cid).returncode == 0
    wait_for(lambda: not pid_alive(pid), what="init gone")
    assert_nothing_left(runtime, cid, b)


def test_delete_stopped_without_force(runtime, make_bundle):
    b = make_bundle(["sleep", "100"])
    cid = runtime.new_id()
    assert runtime.run("run", "-d", "--bundle", b.path, cid).returncode == 0
    assert runtime.run("kill", cid, "SIGKILL").returncode == 0
    wait_for(lambda: status(runtime, cid) == "stopped", what="stopped")
    assert runtime.run("delete", cid).returncode == 0
    assert_nothing_left(runtime, cid, b)


@pytest.mark.parametrize("spec", ["KILL", "SIGKILL", "9", "kill", "sigkill"])
def test_kill_signal_spellings_kill(runtime, make_bundle, spec):
    b = make_bundle(["sleep", "100"])
    cid = runtime.new_id()
    assert runtime.run("run", "-d", "--bundle", b.path, cid).returncode == 0
    r = runtime.run("kill", cid, spec)
    if spec.islower():
        # runc accepts lower-case names too; husk must match or refuse clearly
        if r.returncode != 0:
            assert_failed(r, spec)
            return
    assert r.returncode == 0, r.stderr
    wait_for(lambda: status(runtime, cid) == "stopped", what="stopped")


@pytest.mark.parametrize("spec", ["USR1", "SIGUSR1", str(int(signal.SIGUSR1)),
                                  "HUP", "SIGHUP", str(int(signal.SIGHUP))])
def test_kill_signal_spellings_trapped(runtime, make_bundle, outdir, spec):
    num = int(getattr(signal, "SIG" + spec.replace("SIG", "")) if not spec.isdigit() else spec)
    b = make_bundle()
    add_bind(b, outdir)
    sh(b, f"trap 'echo {num} > /out/got' {num}; touch /out/ready; while :; do sleep 0.1; done")
    cid = runtime.new_id()
    assert runtime.run("run", "-d", "--bundle", b.path, cid).returncode == 0
    wait_for(lambda: os.path.exists(marker(outdir, "ready")), what="trap installed")
    assert runtime.run("kill", cid, spec).returncode == 0
    wait_for(lambda: os.path.exists(marker(outdir, "got")), what=f"signal {spec} delivered")
    assert open(marker(outdir, "got")).read().strip() == str(num)


def test_kill_default_is_term(runtime, make_bundle, outdir):
    b = make_bundle()
    add_bind(b, outdir)
    sh(b, "trap 'echo term > /out/got; exit 0' TERM; touch /out/ready; while :; do sleep 0.1; done")
    cid = runtime.new_id()
    assert runtime.run("run", "-d", "--bundle", b.path, cid).returncode == 0
    wait_for(lambda: os.path.exists(marker(outdir, "ready")), what="trap installed")
    assert runtime.run("kill", cid).returncode == 0
    wait_for(lambda: status(runtime, cid) == "stopped", what="stopped")
    assert open(marker(outdir, "got")).read().strip() == "term"


def test_kill_all(runtime, make_bundle, outdir):
    b = make_bundle()
    add_bind(b, outdir)
    # init ignores TERM (pid 1 without a handler), the children would die of it
    sh(b, "sleep 1001 & sleep 1002 & echo $! > /out/ready; wait")
    cid = runtime.new_id()
    assert runtime.run("run", "-d", "--bundle", b.path, cid).returncode == 0
    wait_for(lambda: os.path.exists(marker(outdir, "ready")), what="children started")
    pids = wait_for(lambda: [p for p in _procs_with_root(b) if _comm(p) == "sleep"] or None,
                    what="sleep children")
    wait_for(lambda: len([p for p in _procs_with_root(b) if _comm(p) == "sleep"]) == 2,
             what="both sleeps")
    assert runtime.run("kill", "--all", cid, "KILL").returncode == 0
    wait_for(lambda: not [p for p in _procs_with_root(b) if pid_alive(p)], what="all killed")
    wait_for(lambda: status(runtime, cid) == "stopped", what="stopped")
    assert runtime.run("delete", cid).returncode == 0
    assert_nothing_left(runtime, cid, b)


def _procs_with_root(b):
    from helpers import procs_in_bundle
    return procs_in_bundle(b.path)


def _comm(p):
    try:
        return open(f"/proc/{p}/comm").read().strip()
    except OSError:
        return None


def test_kill_stopped_container_fails(runtime, make_bundle):
    b = make_bundle(["true"])
    cid = runtime.new_id()
    assert runtime.run("run", "-d", "--bundle", b.path, cid).returncode == 0
    wait_for(lambda: status(runtime, cid) == "stopped", what="stopped")
    r = runtime.run("kill", cid, "KILL")
    assert r.returncode != 0


def test_bundle_defaults_to_cwd(runtime, make_bundle):
    b = make_bundle(["sh", "-c", "echo here"])
    cid = runtime.new_id()
    r = runtime.run("run", cid, cwd=b.path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "here"


def test_stdin_passed_through(runtime, make_bundle):
    b = make_bundle(["sh", "-c", "read line; echo got:$line"])
    cid = runtime.new_id()
    r = runtime.run("run", "--bundle", b.path, cid, input="hello\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "got:hello"


def test_many_containers_sequentially(runtime, make_bundle):
    b = make_bundle(["true"])
    for _ in range(10):
        cid = runtime.new_id("seq")
        r = runtime.run("run", "--bundle", b.path, cid)
        assert r.returncode == 0, r.stderr
        assert_nothing_left(runtime, cid)


def test_no_pivot(runtime, make_bundle):
    b = make_bundle(["sh", "-c", "echo $$; ls /"])
    r = runtime.run("run", "--no-pivot", "--bundle", b.path, runtime.new_id())
    assert r.returncode == 0, r.stderr
    out = r.stdout.split()
    assert out[0] == "1" and "bin" in out and "proc" in out


def test_no_new_keyring_accepted(runtime, make_bundle):
    b = make_bundle(["sh", "-c", "echo ok"])
    r = runtime.run("run", "--no-new-keyring", "--bundle", b.path, runtime.new_id())
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "ok"


def test_concurrent_creates_of_one_id(runtime, make_bundle):
    """The per-id lock: of racing creates exactly one wins, the rest fail."""
    b = make_bundle(["sleep", "100"])
    cid = runtime.new_id("race")
    procs = [subprocess.Popen(runtime.cmd("create", "--bundle", b.path, cid),
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL) for _ in range(5)]
    codes = [p.wait(timeout=60) for p in procs]
    assert codes.count(0) == 1, codes
    s = state(runtime, cid)
    assert s["status"] == "created" and pid_alive(s["pid"])
    # the losers left no second init behind
    from helpers import procs_in_bundle
    wait_for(lambda: procs_in_bundle(b.path) == [s["pid"]], what="only the winner's init")
    assert runtime.run("delete", "--force", cid).returncode == 0
    assert_nothing_left(runtime, cid, b)


def test_concurrent_lifecycles(runtime, make_bundle):
    """Different ids do not get in each other's way."""
    b = make_bundle(["sh", "-c", "exit 3"])
    ids = [runtime.new_id("par") for _ in range(6)]
    procs = [subprocess.Popen(runtime.cmd("run", "--bundle", b.path, cid),
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL) for cid in ids]
    assert [p.wait(timeout=60) for p in procs] == [3] * len(ids)
    for cid in ids:
        assert_nothing_left(runtime, cid)
