"""CVE-2024-21626: runc leaked a host directory fd (/sys/fs/cgroup) into
the container process, and process.cwd = /proc/self/fd/N (or exec --cwd)
then started the container in the host's filesystem.

Here the runtime is given a leaked host directory fd of our own (holding a
secret file) on top of whatever fds it opens itself, and the container's
cwd is pointed at every plausible /proc/self/fd/N: the container must
never see the secret nor get a cwd outside its root, and no fd beyond
stdio (and --preserve-fds) may be visible inside.
"""
import os
import subprocess
import uuid

import pytest

from security_helpers import start_detached, wait_stopped

LEAK_FD = 7  # where the host directory fd sits in the runtime process
FDS = range(3, 16)


@pytest.fixture
def host_secret(tmp_path):
    d = tmp_path / "host-only"
    d.mkdir()
    name = f"HOST_SECRET_{uuid.uuid4().hex[:8]}"
    (d / name).write_text("secret\n")
    fd = os.open(str(d), os.O_RDONLY | os.O_DIRECTORY)
    yield name, fd
    os.close(fd)


def leaky(argv, leak_fd, at=LEAK_FD, **kw):
    """Run argv with the host dir fd at `at` (inherited, not CLOEXEC), as a
    leaky caller or an earlier runtime bug would."""
    def place():
        os.dup2(leak_fd, at)
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, preexec_fn=place,
                          close_fds=False, **kw)


def run_with_leak(runtime, leak_fd, *args):
    return leaky(runtime.cmd(*args), leak_fd)


def test_harness_leaks_the_fd(host_secret):
    """The tests below mean something only if the runtime gets the fd."""
    secret, fd = host_secret
    r = leaky(["ls", f"/proc/self/fd/{LEAK_FD}/"], fd)
    assert secret in r.stdout, r


def test_no_stray_fds_in_container(runtime, make_bundle, host_secret):
    _, fd = host_secret
    b = make_bundle(args=["sh", "-c", "ls /proc/self/fd"])
    cid = runtime.new_id("security-21626")
    r = run_with_leak(runtime, fd, "run", "--bundle", b.path, cid)
    assert r.returncode == 0, r.stderr
    # 3 is the directory ls itself reads.
    assert sorted(r.stdout.split()) == ["0", "1", "2", "3"], r.stdout


def test_preserve_fds_passes_exactly_those(runtime, make_bundle, host_secret):
    _, fd = host_secret
    b = make_bundle(args=["sh", "-c", "ls /proc/self/fd"])
    cid = runtime.new_id("security-21626")

    r = leaky(runtime.cmd("run", "--preserve-fds", "1", "--bundle", b.path, cid), fd, at=3)
    assert r.returncode == 0, r.stderr
    assert sorted(r.stdout.split()) == ["0", "1", "2", "3", "4"], r.stdout


def looks_escaped(r, secret):
    out = r.stdout + r.stderr
    return secret in out or "CWD=(unreachable)" in out


PROBE = "echo CWD=$(pwd -P); ls -a; ls -a ../../../../../..; ls -a /proc/self/cwd/../../../../../.."


@pytest.mark.parametrize("n", FDS)
def test_cwd_proc_self_fd_run(runtime, make_bundle, host_secret, n):
    secret, fd = host_secret
    b = make_bundle(args=["sh", "-c", PROBE])
    b.config["process"]["cwd"] = f"/proc/self/fd/{n}"
    b.save()
    cid = runtime.new_id("security-21626")
    r = run_with_leak(runtime, fd, "run", "--bundle", b.path, cid)
    assert not looks_escaped(r, secret), (r.stdout, r.stderr)


def test_cwd_proc_self_fd_exec(runtime, make_bundle, host_secret, tmp_path):
    secret, fd = host_secret
    b = make_bundle(args=["sleep", "60"])
    cid = runtime.new_id("security-21626")
    start_detached(runtime, b, cid, str(tmp_path / "container.log"))
    try:
        for n in FDS:
            r = run_with_leak(runtime, fd, "exec", "--cwd", f"/proc/self/fd/{n}", cid, "sh", "-c", PROBE)
            assert not looks_escaped(r, secret), (n, r.stdout, r.stderr)
            r = run_with_leak(runtime, fd, "exec", cid, "ls", "/proc/self/fd")
            assert sorted(r.stdout.split()) == ["0", "1", "2", "3"], (r.stdout, r.stderr)
    finally:
        runtime.run("kill", cid, "KILL")
        wait_stopped(runtime, cid)
