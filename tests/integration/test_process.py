"""The container process as seen from inside: args, env, cwd, user, umask,
rlimits, oomScoreAdj, sysctl, hostname, preserved fds, capabilities."""
import os
import re
import subprocess

import pytest

from helpers import husk_only, run_socket_activated, sh


def run_sh(runtime, b, script, **kw):
    sh(b, script)
    cid = runtime.new_id()
    r = runtime.run("run", "--bundle", b.path, cid, **kw)
    assert r.returncode == 0, f"exit {r.returncode}: {r.stderr}"
    return r.stdout


def status_fields(text):
    return {k: v.strip() for k, v in (l.split(":", 1) for l in text.splitlines() if ":" in l)}


def test_args_passed_verbatim(runtime, make_bundle):
    b = make_bundle(["sh", "-c", 'for a in "$@"; do echo "[$a]"; done', "argv0",
                     "one", "two words", "", "*"])
    cid = runtime.new_id()
    r = runtime.run("run", "--bundle", b.path, cid)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["[one]", "[two words]", "[]", "[*]"]


def test_args_resolved_through_path(runtime, make_bundle):
    b = make_bundle(["echo", "via-path"])
    b.config["process"]["env"] = ["PATH=/usr/bin:/bin"]
    b.save()
    r = runtime.run("run", "--bundle", b.path, runtime.new_id())
    assert r.returncode == 0 and r.stdout.strip() == "via-path", r.stderr


def test_env_exact(runtime, make_bundle):
    b = make_bundle()
    b.config["process"]["env"] = ["PATH=/bin", "FOO=bar baz", "EMPTY=", "HOME=/root"]
    b.save()
    out = run_sh(runtime, b, "env")
    env = dict(l.split("=", 1) for l in out.splitlines() if "=" in l)
    assert env["FOO"] == "bar baz"
    assert env["EMPTY"] == ""
    assert env["PATH"] == "/bin"
    # Nothing leaks from the runtime's own environment.
    assert "PYTEST_CURRENT_TEST" not in env
    assert "HUSK_BIN" not in env


def test_cwd(runtime, make_bundle):
    b = make_bundle()
    b.config["process"]["cwd"] = "/tmp"
    b.save()
    assert run_sh(runtime, b, "pwd").strip() == "/tmp"


def test_cwd_created_when_missing(runtime, make_bundle):
    b = make_bundle()
    b.config["root"]["readonly"] = False
    b.config["process"]["cwd"] = "/work/dir"
    b.save()
    assert run_sh(runtime, b, "pwd").strip() == "/work/dir"


def test_user_uid_gid_groups(runtime, make_bundle):
    b = make_bundle()
    b.config["process"]["user"] = {"uid": 1234, "gid": 2345, "additionalGids": [5, 3456, 7]}
    b.save()
    st = status_fields(run_sh(runtime, b, "cat /proc/self/status"))
    assert st["Uid"].split() == ["1234"] * 4
    assert st["Gid"].split() == ["2345"] * 4
    assert sorted(int(g) for g in st["Groups"].split()) == [5, 7, 3456]


def test_user_without_additional_gids_has_no_groups(runtime, make_bundle):
    b = make_bundle()
    b.config["process"]["user"] = {"uid": 1000, "gid": 1000}
    b.save()
    st = status_fields(run_sh(runtime, b, "cat /proc/self/status"))
    assert st["Uid"].split()[0] == "1000"
    # the host's supplementary groups must not leak in
    assert st["Groups"].split() in ([], ["1000"])


@pytest.mark.parametrize("umask", [0o027, 0o077, 0o000])
def test_umask(runtime, make_bundle, umask):
    b = make_bundle()
    b.config["process"]["user"]["umask"] = umask
    b.save()
    st = status_fields(run_sh(runtime, b, "cat /proc/self/status"))
    assert int(st["Umask"], 8) == umask


def test_rlimits(runtime, make_bundle):
    b = make_bundle()
    b.config["process"]["rlimits"] = [
        {"type": "RLIMIT_NOFILE", "soft": 333, "hard": 444},
        {"type": "RLIMIT_NPROC", "soft": 555, "hard": 666},
        {"type": "RLIMIT_CORE", "soft": 0, "hard": 0},
    ]
    b.save()
    out = run_sh(runtime, b, "cat /proc/self/limits")
    lim = {}
    for l in out.splitlines()[1:]:
        m = re.match(r"^(Max [a-z ]+?)\s{2,}(\S+)\s+(\S+)", l)
        if m:
            lim[m.group(1)] = (m.group(2), m.group(3))
    assert lim["Max open files"] == ("333", "444")
    assert lim["Max processes"] == ("555", "666")
    assert lim["Max core file size"] == ("0", "0")


# Only raising: lowering below the caller's value needs CAP_SYS_RESOURCE,
# which this machine does not grant.
@pytest.mark.parametrize("adj", [500, 1000])
def test_oom_score_adj(runtime, make_bundle, adj):
    b = make_bundle()
    b.config["process"]["oomScoreAdj"] = adj
    b.save()
    assert run_sh(runtime, b, "cat /proc/self/oom_score_adj").strip() == str(adj)


def test_sysctl(runtime, make_bundle):
    b = make_bundle()
    b.config["linux"]["sysctl"] = {"net.ipv4.ip_forward": "1", "kernel.msgmax": "4321",
                                   "net.ipv4.ping_group_range": "0 0"}
    b.save()
    out = run_sh(runtime, b, "cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/msgmax "
                             "/proc/sys/net/ipv4/ping_group_range")
    assert out.split() == ["1", "4321", "0", "0"]
    # host untouched: the sysctls are namespaced
    with open("/proc/sys/kernel/msgmax") as f:
        assert f.read().strip() != "4321"


def test_hostname(runtime, make_bundle):
    b = make_bundle()
    b.config["hostname"] = "husk-host"
    b.save()
    assert run_sh(runtime, b, "hostname").strip() == "husk-host"
    assert os.uname().nodename != "husk-host"


@husk_only("runc 1.1.5 ignores domainname (added to the spec in 1.1)")
def test_domainname(runtime, make_bundle):
    b = make_bundle()
    b.config["hostname"] = "husk-host"
    b.config["domainname"] = "husk.example"
    b.save()
    out = run_sh(runtime, b, "hostname; cat /proc/sys/kernel/domainname")
    assert out.split() == ["husk-host", "husk.example"]


def test_no_new_privileges(runtime, make_bundle):
    b = make_bundle()
    b.config["process"]["noNewPrivileges"] = True
    b.save()
    st = status_fields(run_sh(runtime, b, "cat /proc/self/status"))
    assert st["NoNewPrivs"] == "1"
    b.config["process"]["noNewPrivileges"] = False
    b.save()
    st = status_fields(run_sh(runtime, b, "cat /proc/self/status"))
    assert st["NoNewPrivs"] == "0"


def test_capabilities_sets(runtime, make_bundle):
    b = make_bundle()
    b.config["process"]["capabilities"] = {
        "bounding": ["CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_AUDIT_WRITE", "CAP_CHOWN"],
        "effective": ["CAP_KILL", "CAP_CHOWN"],
        "permitted": ["CAP_KILL", "CAP_CHOWN"],
        "inheritable": ["CAP_KILL"],
        "ambient": ["CAP_KILL"],
    }
    b.save()
    st = status_fields(run_sh(runtime, b, "cat /proc/self/status"))
    bit = lambda *n: sum(1 << i for i in n)
    assert int(st["CapBnd"], 16) == bit(5, 10, 29, 0)
    assert int(st["CapEff"], 16) == bit(5, 0)
    assert int(st["CapPrm"], 16) == bit(5, 0)
    assert int(st["CapInh"], 16) == bit(5)
    assert int(st["CapAmb"], 16) == bit(5)


def test_stdout_stderr_separate(runtime, make_bundle):
    b = make_bundle(["sh", "-c", "echo to-out; echo to-err >&2"])
    r = runtime.run("run", "--bundle", b.path, runtime.new_id())
    assert r.returncode == 0
    assert "to-out" in r.stdout and "to-out" not in r.stderr
    assert "to-err" in r.stderr and "to-err" not in r.stdout


def test_preserve_fds(runtime, make_bundle, tmp_path):
    b = make_bundle()
    sh(b, "cat <&3; cat <&4; exec ls -l /proc/self/fd")
    paths = []
    for name in ("three", "four", "five"):
        f = tmp_path / name
        f.write_text(f"fd-{name}\n")
        paths.append(str(f))
    fds = [os.open(p, os.O_RDONLY) for p in paths]
    try:
        # At 3, 4 and 5 in the runtime; only 3 and 4 are to be preserved.
        cmd = runtime.cmd("run", "--preserve-fds", "2", "--bundle", b.path, runtime.new_id())

        def child_fds():
            for i, fd in enumerate(fds):
                os.dup2(fd, 3 + i, inheritable=True)
        r = subprocess.run(cmd, capture_output=True, text=True, preexec_fn=child_fds,
                           close_fds=False, stdin=subprocess.DEVNULL, timeout=60)
    finally:
        for fd in fds:
            os.close(fd)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[:2] == ["fd-three", "fd-four"]
    links = {m.group(1): m.group(2) for m in re.finditer(r" (\d+) -> (.*)$", r.stdout, re.M)}
    assert links.get("3") == paths[0] and links.get("4") == paths[1], links
    assert paths[2] not in links.values(), f"fd 5 was not to be preserved: {links}"


def test_listen_fds(runtime, make_bundle, tmp_path):
    """systemd socket activation: LISTEN_FDS fds pass through, LISTEN_PID=1."""
    b = make_bundle()
    sh(b, 'echo "fds=$LISTEN_FDS pid=$LISTEN_PID"; cat <&3')
    f = tmp_path / "sock"
    f.write_text("listen-fd\n")
    # LISTEN_PID must be the runtime's own pid: "$$" of the exec'ing shell.
    r = run_socket_activated(runtime.cmd("run", "--bundle", b.path, runtime.new_id()), "$$", f)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["fds=1 pid=1", "listen-fd"]


def _recv_fd(sock):
    import array
    import socket
    fds = array.array("i")
    msg, anc, flags, addr = sock.recvmsg(4096, socket.CMSG_SPACE(fds.itemsize))
    for level, typ, data in anc:
        if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
            fds.frombytes(data[:fds.itemsize])
    return fds[0] if fds else None


def test_terminal_console_socket(runtime, make_bundle, tmp_path):
    """terminal: true + --console-socket: the pty master arrives by SCM_RIGHTS."""
    import socket
    import termios
    b = make_bundle()
    b.config["process"]["terminal"] = True
    sh(b, "read line; if [ -t 0 ] && [ -t 1 ]; then echo tty:$line; fi; tty")
    path = str(tmp_path / "console.sock")
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(1)
    srv.settimeout(30)
    cid = runtime.new_id("tty")
    r = runtime.run("create", "--console-socket", path, "--bundle", b.path, cid)
    assert r.returncode == 0, r.stderr
    conn, _ = srv.accept()
    master = _recv_fd(conn)
    conn.close()
    srv.close()
    assert master is not None, "no fd received"
    try:
        os.isatty(master)
        termios.tcgetattr(master)  # it is a terminal
        assert runtime.run("start", cid).returncode == 0
        os.write(master, b"hello\n")
        out = b""
        import select
        import time
        end = time.monotonic() + 20
        while b"/dev/" not in out.split(b"tty:hello")[-1] and time.monotonic() < end:
            rd, _, _ = select.select([master], [], [], 1)
            if rd:
                try:
                    out += os.read(master, 4096)
                except OSError:
                    break
    finally:
        os.close(master)
    text = out.decode(errors="replace")
    assert "tty:hello" in text, text
    assert re.search(r"/dev/(pts/\d+|console)", text), text


def test_terminal_without_console_socket_create_fails(runtime, make_bundle):
    b = make_bundle(["true"])
    b.config["process"]["terminal"] = True
    b.save()
    cid = runtime.new_id()
    r = runtime.run("create", "--bundle", b.path, cid)
    from helpers import assert_failed, assert_nothing_left
    assert_failed(r, "console")
    assert_nothing_left(runtime, cid, b)
