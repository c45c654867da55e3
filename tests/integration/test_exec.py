"""`exec`: a process that enters a running container.

What the process got (namespaces, cgroup, identity, capabilities, limits,
environment) is read from the host through /proc/<pid>, the same truth the
process itself sees, so the checks do not depend on what the container's
rootfs mounts.
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

import pytest

from helpers import IS_HUSK, wait_for

DEVNULL = subprocess.DEVNULL
NS_TYPES = ("user", "mnt", "pid", "net", "ipc", "uts", "cgroup", "time")


def quiet(runtime, *args, timeout=30):
    """Run a command that leaves a process behind (run -d, exec -d): its
    stdio must not be a pipe we wait on."""
    with tempfile.TemporaryFile() as err:
        r = subprocess.run(runtime.cmd(*args), stdin=DEVNULL, stdout=DEVNULL, stderr=err, timeout=timeout)
        err.seek(0)
        r.stderr = err.read().decode(errors="replace")
    return r


def start(runtime, make_bundle, args=("sleep", "300"), edit=None):
    b = make_bundle(list(args))
    if edit:
        edit(b.config)
        b.save()
    cid = runtime.new_id("exec")
    r = quiet(runtime, "run", "-d", "--bundle", b.path, cid)
    assert r.returncode == 0, r.stderr
    return cid, b


def init_pid(runtime, cid):
    return json.loads(runtime.run("state", cid, check=True).stdout)["pid"]


def exec_detached(runtime, cid, *args, extra=()):
    with tempfile.TemporaryDirectory() as d:
        pf = os.path.join(d, "pid")
        r = quiet(runtime, "exec", "-d", "--pid-file", pf, *extra, cid, *args)
        assert r.returncode == 0, r.stderr
        with open(pf) as f:
            return int(f.read())


def proc_status(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            out[k] = v.strip()
    return out


def ns_links(pid):
    links = {}
    for n in NS_TYPES:
        try:
            links[n] = os.readlink(f"/proc/{pid}/ns/{n}")
        except FileNotFoundError:
            pass
    return links


def cgroup_of(pid):
    with open(f"/proc/{pid}/cgroup") as f:
        return sorted(f.read().splitlines())


def environ(pid):
    with open(f"/proc/{pid}/environ", "rb") as f:
        return [e.decode() for e in f.read().split(b"\0") if e]


def same_file(a, b):
    sa, sb = os.stat(a), os.stat(b)
    return (sa.st_dev, sa.st_ino) == (sb.st_dev, sb.st_ino)


def cap_bit(name):
    caps = {"CAP_CHOWN": 0, "CAP_KILL": 5, "CAP_NET_BIND_SERVICE": 10, "CAP_NET_ADMIN": 12,
            "CAP_SYS_ADMIN": 21, "CAP_SYS_PTRACE": 19, "CAP_AUDIT_WRITE": 29}
    return 1 << caps[name]


def kill_wait(pid):
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    for _ in range(200):
        if not os.path.exists(f"/proc/{pid}") or proc_status(pid).get("State", "").startswith("Z"):
            return
        time.sleep(0.02)


def add_ns(*types, host_id=0):
    def edit(cfg):
        for t in types:
            cfg["linux"]["namespaces"].append({"type": t})
            if t == "user":
                cfg["linux"]["uidMappings"] = [{"containerID": 0, "hostID": host_id, "size": 65536}]
                cfg["linux"]["gidMappings"] = [{"containerID": 0, "hostID": host_id, "size": 65536}]
    return edit


@pytest.mark.parametrize("extra_ns,host_id", [((), 0), (("cgroup", "time"), 0), (("user",), 0),
                                              (("user", "cgroup"), 100000)],
                         ids=["default", "cgroup+time", "user", "user-mapped"])
def test_exec_joins_every_namespace_and_the_cgroup(runtime, make_bundle, extra_ns, host_id):
    cid, _ = start(runtime, make_bundle, edit=add_ns(*extra_ns, host_id=host_id))
    ipid = init_pid(runtime, cid)
    epid = exec_detached(runtime, cid, "sleep", "300")
    try:
        want, got = ns_links(ipid), ns_links(epid)
        assert got == want
        for t in extra_ns:  # really a namespace of its own, not the host's
            assert want[t] != os.readlink(f"/proc/self/ns/{t}")
        assert cgroup_of(epid) == cgroup_of(ipid)
        # Inside the container's pid namespace: two pids (host and container).
        nspid = proc_status(epid)["NSpid"].split()
        assert len(nspid) == 2 and int(nspid[1]) > 1
        # root inside is the mapped host id outside
        assert proc_status(epid)["Uid"].split()[0] == str(host_id)
    finally:
        kill_wait(epid)
    if "user" in extra_ns:
        r = runtime.run("exec", cid, "id", "-u")
        assert r.returncode == 0, r.stderr
        assert r.stdout.strip() == "0"


def test_exec_sees_the_container_root(runtime, make_bundle):
    cid, b = start(runtime, make_bundle)
    with open(os.path.join(b.rootfs, "marker-exec"), "w") as f:
        f.write("inside\n")
    r = runtime.run("exec", cid, "cat", "/marker-exec")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "inside\n"
    r = runtime.run("exec", cid, "hostname")
    assert r.stdout.strip() == "husk"


def test_env_cwd_user_flags(runtime, make_bundle):
    cid, b = start(runtime, make_bundle)
    os.makedirs(os.path.join(b.rootfs, "work"), exist_ok=True)
    epid = exec_detached(runtime, cid, "sleep", "300",
                         extra=("--env", "FOO=bar", "--env", "TERM=dumb", "--cwd", "/work", "-u", "1000:1001",
                                "--additional-gids", "5", "--additional-gids", "7"))
    try:
        env = environ(epid)
        assert "FOO=bar" in env
        # The flag overrides the config's TERM=xterm: one entry, the last one.
        assert [e for e in env if e.startswith("TERM=")] == ["TERM=dumb"]
        assert any(e.startswith("PATH=") for e in env)
        assert any(e.startswith("HOME=") for e in env)
        assert same_file(f"/proc/{epid}/cwd", os.path.join(b.rootfs, "work"))
        st = proc_status(epid)
        assert st["Uid"].split() == ["1000"] * 4
        assert st["Gid"].split() == ["1001"] * 4
        assert sorted(st["Groups"].split()) == ["5", "7"]
    finally:
        kill_wait(epid)


def test_env_and_cwd_in_the_foreground(runtime, make_bundle):
    cid, _ = start(runtime, make_bundle)
    r = runtime.run("exec", "-e", "GREETING=hello there", "--cwd", "/tmp", cid,
                    "sh", "-c", 'echo "$GREETING"; pwd; echo "$HOME"')
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["hello there", "/tmp", "/root"]


def test_cap_and_no_new_privs_flags(runtime, make_bundle):
    def edit(cfg):
        cfg["process"]["noNewPrivileges"] = False
    cid, _ = start(runtime, make_bundle, edit=edit)
    plain = exec_detached(runtime, cid, "sleep", "300")
    added = exec_detached(runtime, cid, "sleep", "300", extra=("--cap", "CAP_SYS_ADMIN", "--no-new-privs"))
    try:
        p, a = proc_status(plain), proc_status(added)
        for st in (p, a):  # the config's capabilities are the base
            assert int(st["CapEff"], 16) & cap_bit("CAP_KILL")
        assert not int(p["CapEff"], 16) & cap_bit("CAP_SYS_ADMIN")
        assert not int(p["CapBnd"], 16) & cap_bit("CAP_SYS_ADMIN")
        assert int(a["CapEff"], 16) & cap_bit("CAP_SYS_ADMIN")
        assert int(a["CapBnd"], 16) & cap_bit("CAP_SYS_ADMIN")
        assert p["NoNewPrivs"] == "0" and a["NoNewPrivs"] == "1"
    finally:
        kill_wait(plain)
        kill_wait(added)


def test_process_json_with_all_fields(runtime, make_bundle, tmp_path):
    cid, b = start(runtime, make_bundle)
    os.makedirs(os.path.join(b.rootfs, "srv"), exist_ok=True)
    process = {
        "terminal": False,
        "user": {"uid": 123, "gid": 456, "umask": 0o027, "additionalGids": [11, 12]},
        "args": ["sleep", "300"],
        "env": ["PATH=/bin:/usr/bin", "ONLY_FROM_JSON=1", "HOME=/srv"],
        "cwd": "/srv",
        "capabilities": {s: ["CAP_CHOWN", "CAP_NET_ADMIN"] for s in ("bounding", "effective", "permitted")},
        "rlimits": [{"type": "RLIMIT_NOFILE", "soft": 321, "hard": 654},
                    {"type": "RLIMIT_NPROC", "soft": 777, "hard": 888}],
        "noNewPrivileges": True,
        "oomScoreAdj": 345,
    }
    pj = tmp_path / "process.json"
    pj.write_text(json.dumps(process))
    epid = exec_detached(runtime, cid, extra=("--process", str(pj)))
    try:
        st = proc_status(epid)
        assert st["Uid"].split() == ["123"] * 4
        assert st["Gid"].split() == ["456"] * 4
        assert sorted(st["Groups"].split()) == ["11", "12"]
        assert st["Umask"] == "0027"
        assert st["NoNewPrivs"] == "1"
        # Non-root without ambient capabilities: the bounding set tells.
        bnd = int(st["CapBnd"], 16)
        assert bnd == cap_bit("CAP_CHOWN") | cap_bit("CAP_NET_ADMIN")
        env = environ(epid)
        assert "ONLY_FROM_JSON=1" in env and "HOME=/srv" in env
        assert not any(e.startswith("TERM=") for e in env)  # nothing from the config
        assert same_file(f"/proc/{epid}/cwd", os.path.join(b.rootfs, "srv"))
        with open(f"/proc/{epid}/limits") as f:
            limits = f.read()
        assert any(line.startswith("Max open files") and line.split()[3:5] == ["321", "654"]
                   for line in limits.splitlines())
        assert any(line.startswith("Max processes") and line.split()[2:4] == ["777", "888"]
                   for line in limits.splitlines())
        with open(f"/proc/{epid}/oom_score_adj") as f:
            assert f.read().strip() == "345"
        with open(f"/proc/{epid}/cmdline", "rb") as f:
            assert f.read().split(b"\0")[:2] == [b"sleep", b"300"]
    finally:
        kill_wait(epid)


def test_process_json_errors_name_the_field(runtime, make_bundle, tmp_path):
    cid, _ = start(runtime, make_bundle)
    pj = tmp_path / "bad.json"
    pj.write_text(json.dumps({"args": ["true"], "cwd": "relative"}))
    r = runtime.run("exec", "--process", str(pj), cid)
    assert r.returncode != 0
    assert "cwd" in r.stderr.lower()
    pj.write_text('{"args": ["true"], ')
    r = runtime.run("exec", "--process", str(pj), cid)
    assert r.returncode != 0


@pytest.mark.parametrize("script,code", [("exit 0", 0), ("exit 7", 7), ("exit 255", 255),
                                         ("kill -TERM $$", 128 + 15), ("kill -KILL $$", 128 + 9)])
def test_exit_codes(runtime, make_bundle, script, code):
    cid, _ = start(runtime, make_bundle)
    r = runtime.run("exec", cid, "sh", "-c", script)
    assert r.returncode == code, r.stderr


def test_signals_are_forwarded(runtime, make_bundle, tmp_path):
    cid, _ = start(runtime, make_bundle)
    pf = tmp_path / "pid"
    p = subprocess.Popen(runtime.cmd("exec", "--pid-file", str(pf), cid, "sh", "-c",
                                     'trap "echo got-term; exit 42" TERM; echo ready; while :; do sleep 0.1; done'),
                         stdin=DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline() == "ready\n"
        # The foreground writes --pid-file too: as runc, once the process
        # has exec'd, so it may land just after the process's first output.
        wait_for(pf.exists, timeout=5, what="the --pid-file of a foreground exec")
        assert int(pf.read_text()) > 0
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=20)
        assert "got-term" in out
        assert p.returncode == 42, err
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def test_detach_writes_pid_file_and_returns(runtime, make_bundle, tmp_path):
    cid, _ = start(runtime, make_bundle)
    pf = tmp_path / "exec.pid"
    t0 = time.monotonic()
    r = quiet(runtime, "exec", "-d", "--pid-file", str(pf), cid, "sleep", "300")
    assert r.returncode == 0, r.stderr
    assert time.monotonic() - t0 < 10
    pid = int(pf.read_text())
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            assert f.read().split(b"\0")[0] == b"sleep"
        assert ns_links(pid)["pid"] == ns_links(init_pid(runtime, cid))["pid"]
    finally:
        kill_wait(pid)


def test_stdio_is_passed_through(runtime, make_bundle):
    cid, _ = start(runtime, make_bundle)
    r = runtime.run("exec", cid, "sh", "-c", "cat; echo to-stderr >&2", input="from stdin\n")
    assert r.returncode == 0
    assert r.stdout == "from stdin\n"
    assert r.stderr == "to-stderr\n"


def test_exec_into_a_pipe_ends_cleanly(runtime, make_bundle):
    cid, _ = start(runtime, make_bundle)
    cmd = " ".join(runtime.cmd("exec", cid, "yes")) + " | head -1"
    r = subprocess.run(["sh", "-c", cmd], capture_output=True, text=True, timeout=30)
    assert r.stdout == "y\n"


def test_preserve_fds(runtime, make_bundle, tmp_path):
    cid, _ = start(runtime, make_bundle)
    out = tmp_path / "fd3.txt"
    cmd = " ".join(runtime.cmd("exec", "--preserve-fds", "1", cid, "sh", "-c", "'echo via-fd3 >&3; ls /proc/self/fd 2>/dev/null; true'"))
    r = subprocess.run(["sh", "-c", f"{cmd} 3>{out}"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert out.read_text() == "via-fd3\n"
    # Without --preserve-fds the fd does not reach the process.
    cmd = " ".join(runtime.cmd("exec", cid, "sh", "-c", "'echo x >&3'"))
    r = subprocess.run(["sh", "-c", f"{cmd} 3>>{out}"], capture_output=True, text=True, timeout=30)
    assert r.returncode != 0
    assert out.read_text() == "via-fd3\n"


def test_no_fd_of_husk_leaks_into_the_process(runtime, make_bundle):
    cid, _ = start(runtime, make_bundle)
    epid = exec_detached(runtime, cid, "sleep", "300")
    try:
        fds = sorted(int(f) for f in os.listdir(f"/proc/{epid}/fd"))
        assert fds == [0, 1, 2]
    finally:
        kill_wait(epid)


def test_exec_into_a_stopped_container_fails(runtime, make_bundle):
    cid, _ = start(runtime, make_bundle, args=("true",))
    for _ in range(200):
        if json.loads(runtime.run("state", cid).stdout)["status"] == "stopped":
            break
        time.sleep(0.05)
    r = runtime.run("exec", cid, "true")
    assert r.returncode == 255
    assert "stopped" in r.stderr


def test_exec_into_a_missing_container_fails(runtime):
    r = runtime.run("exec", "no-such-container-exec", "true")
    assert r.returncode != 0
    assert "does not exist" in r.stderr or "not exist" in r.stderr


def test_errors_before_exec_come_back(runtime, make_bundle):
    cid, _ = start(runtime, make_bundle)
    r = runtime.run("exec", cid, "no-such-binary-here")
    assert r.returncode == 255  # as runc: not an exit code of the process
    assert "no-such-binary-here" in r.stderr
    r = runtime.run("exec", "--cwd", "/does/not/exist", cid, "true")
    assert r.returncode != 0
    assert "/does/not/exist" in r.stderr
    # A failed exec leaves the container running.
    assert json.loads(runtime.run("state", cid).stdout)["status"] == "running"


def container_procs(runtime, cid):
    """Pids in the container's pid namespace, as the host sees them."""
    ipid = init_pid(runtime, cid)
    ns = os.readlink(f"/proc/{ipid}/ns/pid")
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                if os.readlink(f"/proc/{d}/ns/pid") == ns:
                    out.append(int(d))
            except OSError:
                pass
    return sorted(out)


def test_errors_in_the_intermediate_leave_nothing(runtime, make_bundle, tmp_path):
    """The steps between husk and the process (rlimits, cgroup) fail as one
    message, and no process is left in the container or in husk's place."""
    cid, _ = start(runtime, make_bundle)
    before = container_procs(runtime, cid)
    process = {"args": ["true"], "cwd": "/", "user": {"uid": 0, "gid": 0},
               "rlimits": [{"type": "RLIMIT_NOFILE", "soft": 100, "hard": 1 << 30}]}
    pj = tmp_path / "process.json"
    pj.write_text(json.dumps(process))
    r = runtime.run("exec", "--process", str(pj), cid)
    assert r.returncode == 255, r.stderr
    assert "RLIMIT_NOFILE" in r.stderr or (not IS_HUSK and "rlimit" in r.stderr), r.stderr  # runc: "type 7"
    r = runtime.run("exec", "--cgroup", "missing-sub", cid, "true")
    assert r.returncode != 0 and "missing-sub" in r.stderr, r.stderr
    assert container_procs(runtime, cid) == before
    assert json.loads(runtime.run("state", cid).stdout)["status"] == "running"
    # And the next exec works.
    assert runtime.run("exec", cid, "true").returncode == 0


SUBREAPER = r"""
import ctypes, os, subprocess, sys
ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER, as a shim is
r = subprocess.run(sys.argv[1:], capture_output=True, text=True)
orphans = []
while True:
    try:
        pid, _ = os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        break
    if pid == 0:
        break
    orphans.append(pid)
print(r.returncode, len(orphans))
"""


def test_failed_exec_leaves_no_orphan_to_a_subreaper(runtime, make_bundle):
    """A shim is a subreaper: a process husk did not reap would reach it as
    an unknown exit once husk is gone."""
    cid, _ = start(runtime, make_bundle)
    for args in (("no-such-binary-here",), ("--cwd", "/does/not/exist", "true")):
        r = subprocess.run([sys.executable, "-c", SUBREAPER, *runtime.cmd("exec", *args[:-1], cid, args[-1])],
                           capture_output=True, text=True, timeout=60)
        code, orphans = r.stdout.split()
        assert code == "255" and orphans == "0", (args, r.stdout, r.stderr)


def test_exec_needs_a_command(runtime, make_bundle):
    cid, _ = start(runtime, make_bundle)
    r = runtime.run("exec", cid)
    assert r.returncode != 0


def test_detached_tty_needs_a_console_socket(runtime, make_bundle):
    cid, _ = start(runtime, make_bundle)
    r = quiet(runtime, "exec", "-d", "-t", cid, "sh")
    assert r.returncode != 0
    assert "console" in r.stderr


def _container_cgroup(pid, ctrl):
    for line in cgroup_of(pid):
        _, ctrls, path = line.split(":", 2)
        if ctrl in ctrls.split(","):
            return ctrls, path
    return None, None


def test_cgroup_flag_uses_a_sub_cgroup(runtime, make_bundle):
    cid, _ = start(runtime, make_bundle)
    ipid = init_pid(runtime, cid)
    ctrls, path = _container_cgroup(ipid, "pids")
    if ctrls is None or path == "/" or not os.path.isdir(f"/sys/fs/cgroup/{ctrls}{path}"):
        pytest.skip("no pids cgroup for the container on this host")
    sub = f"/sys/fs/cgroup/{ctrls}{path}/sub"
    os.mkdir(sub)
    epid = None
    try:
        epid = exec_detached(runtime, cid, "sleep", "300", extra=("--cgroup", "pids:sub"))
        assert _container_cgroup(epid, "pids")[1] == path + "/sub"
        # Other controllers: the container's own cgroup.
        assert _container_cgroup(epid, "memory") == _container_cgroup(ipid, "memory")
        r = runtime.run("exec", "--cgroup", "pids:../../escape", cid, "true")
        assert r.returncode != 0
        r = runtime.run("exec", "--cgroup", "pids:missing-sub", cid, "true")
        assert r.returncode != 0
    finally:
        if epid:
            kill_wait(epid)
            for _ in range(100):
                try:
                    os.rmdir(sub)
                    break
                except OSError:
                    time.sleep(0.05)


def test_exec_into_a_paused_container(runtime, make_bundle):
    cid, _ = start(runtime, make_bundle)
    r = runtime.run("pause", cid)
    if r.returncode != 0:
        pytest.skip(f"pause not available: {r.stderr.strip()}")
    try:
        r = runtime.run("exec", cid, "true")
        assert r.returncode != 0
        assert "paused" in r.stderr
    finally:
        runtime.run("resume", cid)


def test_ignore_paused_starts_the_process_frozen(runtime, make_bundle):
    def writable(cfg):
        cfg["root"]["readonly"] = False
    cid, b = start(runtime, make_bundle, edit=writable)
    r = runtime.run("pause", cid)
    if r.returncode != 0:
        pytest.skip(f"pause not available: {r.stderr.strip()}")
    marker = os.path.join(b.rootfs, "tmp", "ran")
    try:
        r = quiet(runtime, "exec", "-d", "--ignore-paused", cid, "sh", "-c", "sleep 0.5; touch /tmp/ran")
        assert r.returncode == 0, r.stderr
        time.sleep(1.5)
        assert not os.path.exists(marker)  # frozen with the rest of the container
    finally:
        runtime.run("resume", cid)
    for _ in range(100):
        if os.path.exists(marker):
            break
        time.sleep(0.05)
    assert os.path.exists(marker)


@pytest.mark.parametrize("nnp", [True, False], ids=["nnp", "no-nnp"])
def test_exec_gets_the_container_seccomp_filter(runtime, make_bundle, tmp_path, nnp):
    def edit(cfg):
        cfg["root"]["readonly"] = False
        cfg["linux"]["seccomp"] = {
            "defaultAction": "SCMP_ACT_ALLOW",
            "architectures": ["SCMP_ARCH_X86_64"],
            "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}],
        }
    cid, b = start(runtime, make_bundle, edit=edit)
    # Without no_new_privs the filter needs CAP_SYS_ADMIN when it is loaded:
    # husk must load it before dropping to the process's capabilities.
    process = dict(b.config["process"], noNewPrivileges=nnp)
    pj = tmp_path / "p.json"
    for args in (["mkdir", "/blocked-dir"], ["sleep", "300"]):
        pj.write_text(json.dumps(dict(process, args=args)))
        if args[0] == "mkdir":
            r = runtime.run("exec", "--process", str(pj), cid)
            assert r.returncode != 0
            assert "Operation not permitted" in r.stderr
            assert not os.path.exists(os.path.join(b.rootfs, "blocked-dir"))
        else:
            epid = exec_detached(runtime, cid, extra=("--process", str(pj)))
            try:
                st = proc_status(epid)
                assert st["Seccomp"] == "2" and st["NoNewPrivs"] == ("1" if nnp else "0")
            finally:
                kill_wait(epid)


def test_lsm_flags_without_the_lsm_are_clear_errors(runtime, make_bundle):
    cid, _ = start(runtime, make_bundle)
    for flag, value, lsm in (("--apparmor", "some-profile", "apparmor"),
                             ("--process-label", "system_u:system_r:container_t:s0", "selinux")):
        if os.path.exists(f"/sys/kernel/security/{lsm}") or (lsm == "selinux" and os.path.exists("/sys/fs/selinux")):
            continue  # the host has it: the label would be applied instead
        r = runtime.run("exec", flag, value, cid, "true")
        assert r.returncode != 0
        assert value in r.stderr or lsm in r.stderr.lower()


@pytest.mark.parametrize("fd", [3, 4, 5, 6, 7, 8])
def test_cwd_through_an_fd_of_husk_is_refused(runtime, make_bundle, fd):
    """CVE-2024-21626: a cwd of /proc/self/fd/N must not leave the container
    through a directory fd husk holds while it sets the process up."""
    cid, _ = start(runtime, make_bundle)
    r = runtime.run("exec", "--cwd", f"/proc/self/fd/{fd}", cid, "sh", "-c", "pwd; ls ..")
    assert r.returncode != 0
    assert r.stdout == ""


def test_boolean_flags_take_true_and_false_as_runc(runtime, make_bundle, tmp_path):
    cid, _ = start(runtime, make_bundle)
    r = runtime.run("exec", "--tty=false", "-e", "X=1", "--no-new-privs=true", cid, "sh", "-c", "echo $X; test -t 1 || echo no-tty")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "1\nno-tty\n"
    pf = tmp_path / "pid"
    r = quiet(runtime, "exec", "--detach=true", "--pid-file", str(pf), cid, "sleep", "300")
    assert r.returncode == 0, r.stderr
    kill_wait(int(pf.read_text()))


def _session_keyrings(name):
    with open("/proc/keys") as f:
        return [line for line in f if f" keyring   {name}:" in line]


@pytest.mark.parametrize("no_new_keyring", [False, True], ids=["new-keyring", "no-new-keyring"])
def test_exec_keeps_the_keyring_choice_of_create(runtime, make_bundle, no_new_keyring):
    """runc stores --no-new-keyring with the container: exec then does not
    make the `_ses.<id>` session keyring either."""
    b = make_bundle(["sleep", "300"])
    cid = runtime.new_id("keyring")
    flags = ("--no-new-keyring",) if no_new_keyring else ()
    r = quiet(runtime, "run", "-d", *flags, "--bundle", b.path, cid)
    assert r.returncode == 0, r.stderr
    epid = exec_detached(runtime, cid, "sleep", "300")
    try:
        assert bool(_session_keyrings(f"_ses.{cid}")) == (not no_new_keyring)
    finally:
        kill_wait(epid)
