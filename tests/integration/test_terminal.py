"""Terminals: process.terminal / exec -t, relayed by husk in the foreground
or handed to a --console-socket.

The interactive tests drive a real terminal: tmux runs husk in a pane, the
test types with send-keys, resizes the window and reads the screen back
with capture-pane.
"""
import array
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid

import pytest

DEVNULL = subprocess.DEVNULL
TMUX = shutil.which("tmux")
needs_tmux = pytest.mark.skipif(TMUX is None, reason="tmux is not installed (apt-get install tmux)")
BIG = 1_000_000


def quiet(runtime, *args, timeout=30):
    with tempfile.TemporaryFile() as err:
        r = subprocess.run(runtime.cmd(*args), stdin=DEVNULL, stdout=DEVNULL, stderr=err, timeout=timeout)
        err.seek(0)
        r.stderr = err.read().decode(errors="replace")
    return r


def terminal_bundle(make_bundle, args, size=None, readonly=True):
    b = make_bundle(list(args))
    b.config["process"]["terminal"] = True
    b.config["root"]["readonly"] = readonly
    if size:
        b.config["process"]["consoleSize"] = {"height": size[0], "width": size[1]}
    return b.save()


def start(runtime, make_bundle, args=("sleep", "300")):
    b = make_bundle(list(args))
    cid = runtime.new_id("term")
    r = quiet(runtime, "run", "-d", "--bundle", b.path, cid)
    assert r.returncode == 0, r.stderr
    return cid


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------- tmux

class Tmux:
    def __init__(self):
        self.sock = f"husk-term-{uuid.uuid4().hex[:8]}"

    def __call__(self, *args):
        return subprocess.run([TMUX, "-L", self.sock, "-f", "/dev/null", *args],
                              capture_output=True, text=True, timeout=15)

    def start(self, command, width=100, height=30):
        r = self("new-session", "-d", "-x", str(width), "-y", str(height), command)
        assert r.returncode == 0, r.stderr
        self("set-option", "-g", "status", "off")

    def screen(self):
        return self("capture-pane", "-p", "-J").stdout

    def size(self):
        h, w = self("display-message", "-p", "#{pane_height} #{pane_width}").stdout.split()
        return int(h), int(w)

    def type(self, text):
        self("send-keys", "-l", text)
        self("send-keys", "Enter")

    def wait_screen(self, text, timeout=15):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            s = self.screen()
            if text in s:
                return s
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never appeared on the screen:\n{self.screen()}")

    def kill(self):
        self("kill-server")


@pytest.fixture
def tmux():
    t = Tmux()
    yield t
    t.kill()


def wait_file(path, timeout=15):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if os.path.exists(path) and os.path.getsize(path):
            time.sleep(0.1)
            with open(path) as f:
                return f.read()
        time.sleep(0.1)
    raise AssertionError(f"{path} was never written")


def interactive_session(tmux, husk_cmd, tmp_path):
    """Run husk in a tmux pane; afterwards the pane's shell records husk's
    exit code and the terminal settings husk left behind."""
    rc, stty = tmp_path / "rc", tmp_path / "stty"
    tmux.start(f"{husk_cmd}; echo $? > {rc}; stty -a > {stty}; sleep 60")
    return rc, stty


def drive_shell(tmux):
    tmux.wait_screen("# ")
    tmux.type("echo typed-$((6*7))")
    tmux.wait_screen("typed-42")
    h, w = tmux.size()
    tmux.type("stty size")
    tmux.wait_screen(f"\n{h} {w}")
    # Resize the window: husk gets SIGWINCH and resizes the pty.
    tmux("resize-window", "-x", "117", "-y", "41")
    h2, w2 = tmux.size()
    assert (h2, w2) != (h, w)
    tmux.type("clear; stty size")
    tmux.wait_screen(f"{h2} {w2}")
    tmux.type("tty")
    tmux.wait_screen("/dev/pts/")


@needs_tmux
def test_run_interactive_shell_under_tmux(runtime, make_bundle, tmux, tmp_path):
    b = terminal_bundle(make_bundle, ["sh"])
    cid = runtime.new_id("term")
    cmd = " ".join(runtime.cmd("run", "--bundle", b.path, cid))
    rc, stty = interactive_session(tmux, cmd, tmp_path)
    drive_shell(tmux)
    tmux.type("exit 3")
    assert wait_file(rc).strip() == "3"
    # Our terminal is back in cooked mode.
    settings = wait_file(stty).split()
    assert "icanon" in settings and "echo" in settings and "opost" in settings


@needs_tmux
def test_exec_tty_interactive_shell_under_tmux(runtime, make_bundle, tmux, tmp_path):
    cid = start(runtime, make_bundle)
    cmd = " ".join(runtime.cmd("exec", "-t", cid, "sh"))
    rc, stty = interactive_session(tmux, cmd, tmp_path)
    drive_shell(tmux)
    tmux.type("exit 5")
    assert wait_file(rc).strip() == "5"
    settings = wait_file(stty).split()
    assert "icanon" in settings and "echo" in settings


@needs_tmux
def test_ctrl_c_reaches_the_container_process(runtime, make_bundle, tmux, tmp_path):
    cid = start(runtime, make_bundle)
    cmd = " ".join(runtime.cmd("exec", "-t", cid, "sh"))
    rc, _ = interactive_session(tmux, cmd, tmp_path)
    tmux.wait_screen("# ")
    tmux.type("sleep 1000")
    time.sleep(0.5)
    tmux("send-keys", "C-c")
    # SIGINT went through the pty to the sleep, not to husk.
    tmux.type("echo after-sleep-$?")
    tmux.wait_screen("after-sleep-130")
    tmux.type("exit 0")
    assert wait_file(rc).strip() == "0"


# ---------------------------------------------------------- console socket

class ConsoleSocket:
    """What containerd's or podman's console socket does: accept, take the
    pty master out of the SCM_RIGHTS message."""

    def __init__(self, tmp_path):
        self.dir = tempfile.mkdtemp(prefix="husk-console-test-")
        self.path = os.path.join(self.dir, "console.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(self.path)
        self.sock.listen(4)
        self.sock.settimeout(20)

    def receive(self):
        conn, _ = self.sock.accept()
        with conn:
            fds = array.array("i")
            msg, anc, _, _ = conn.recvmsg(4096, socket.CMSG_SPACE(fds.itemsize))
            for level, typ, data in anc:
                if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
                    fds.frombytes(data[:fds.itemsize])
            assert len(fds) == 1, "no fd in the console socket message"
            return fds[0], msg.decode()

    def close(self):
        self.sock.close()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def console(tmp_path):
    c = ConsoleSocket(tmp_path)
    yield c
    c.close()


def read_until(fd, needle, timeout=15):
    buf = b""
    end = time.monotonic() + timeout
    while needle not in buf:
        left = end - time.monotonic()
        if left <= 0:
            raise AssertionError(f"{needle!r} not read; got {buf!r}")
        r, _, _ = select.select([fd], [], [], left)
        if r:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            buf += chunk
    assert needle in buf, buf
    return buf


def test_run_detached_sends_the_master_to_the_console_socket(runtime, make_bundle, console):
    b = terminal_bundle(make_bundle, ["sh"])
    cid = runtime.new_id("term")
    r = quiet(runtime, "run", "-d", "--console-socket", console.path, "--bundle", b.path, cid)
    assert r.returncode == 0, r.stderr
    master, name = console.receive()
    try:
        assert os.isatty(master)
        os.write(master, b"echo from-master-$((1+2)); tty\n")
        out = read_until(master, b"/dev/pts/")
        assert b"from-master-3" in out
        assert json.loads(runtime.run("state", cid).stdout)["status"] == "running"
        os.write(master, b"exit\n")
    finally:
        os.close(master)


def test_exec_detached_with_console_socket(runtime, make_bundle, console, tmp_path):
    cid = start(runtime, make_bundle)
    pf = tmp_path / "pid"
    r = quiet(runtime, "exec", "-d", "-t", "--pid-file", str(pf), "--console-socket", console.path, cid, "sh")
    assert r.returncode == 0, r.stderr
    master, name = console.receive()
    pid = int(pf.read_text())
    try:
        os.write(master, b"echo exec-$((40+2))\n")
        read_until(master, b"exec-42")
        # The shell's controlling terminal is that pty: ^C from the master
        # interrupts a job in it.
        os.write(master, b"sleep 1000\n")
        time.sleep(0.5)
        os.write(master, b"\x03")
        os.write(master, b"echo rc=$?\n")
        read_until(master, b"rc=130")
        os.write(master, b"exit\n")
        for _ in range(100):
            if not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/stat").read().split()[2] == "Z":
                break
            time.sleep(0.05)
    finally:
        os.close(master)


def test_exec_foreground_with_console_socket(runtime, make_bundle, console):
    cid = start(runtime, make_bundle)
    p = subprocess.Popen(runtime.cmd("exec", "-t", "--console-socket", console.path, cid,
                                     "sh", "-c", "read x; echo got-$x; exit 4"),
                         stdin=DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        master, _ = console.receive()
        try:
            os.write(master, b"abc\n")
            read_until(master, b"got-abc")
            p.wait(timeout=20)  # the master stays open: closing it would hang up the process
        finally:
            os.close(master)
        assert p.returncode == 4, p.stderr.read()
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def test_console_socket_without_terminal_is_an_error(runtime, make_bundle, console):
    cid = start(runtime, make_bundle)
    r = quiet(runtime, "exec", "-d", "--console-socket", console.path, cid, "true")
    assert r.returncode != 0


# ------------------------------------------------------------ the relay

def test_console_size_is_applied_without_a_tty(runtime, make_bundle, tmp_path):
    b = terminal_bundle(make_bundle, ["stty", "size"], size=(21, 73))
    r = subprocess.run(runtime.cmd("run", "--bundle", b.path, runtime.new_id("term")),
                       stdin=DEVNULL, capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == b"21 73"
    cid = start(runtime, make_bundle)
    pj = tmp_path / "p.json"
    pj.write_text(json.dumps({"terminal": True, "consoleSize": {"height": 19, "width": 61},
                              "args": ["stty", "size"], "cwd": "/", "env": ["PATH=/bin"],
                              "user": {"uid": 0, "gid": 0}}))
    r = subprocess.run(runtime.cmd("exec", "--process", str(pj), cid), stdin=DEVNULL, capture_output=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == b"19 61"


def test_exec_tty_output_is_a_terminal(runtime, make_bundle):
    cid = start(runtime, make_bundle)
    r = subprocess.run(runtime.cmd("exec", "-t", cid, "sh", "-c", "tty; test -t 0 && test -t 1 && echo both"),
                       stdin=DEVNULL, capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.decode().split("\r\n")
    assert lines[0].startswith("/dev/pts/") and lines[1] == "both"


PRINT_BIG = f"head -c {BIG} /dev/zero | tr '\\0' x; echo END"


@pytest.mark.parametrize("rounds", [5])
def test_exec_tty_loses_no_output_of_a_short_process(runtime, make_bundle, rounds):
    cid = start(runtime, make_bundle)
    for _ in range(rounds):
        r = subprocess.run(runtime.cmd("exec", "-t", cid, "sh", "-c", PRINT_BIG), stdin=DEVNULL,
                           capture_output=True, timeout=60)
        assert r.returncode == 0, r.stderr
        assert r.stdout.count(b"x") == BIG
        assert r.stdout.endswith(b"END\r\n")


def test_run_tty_loses_no_output_of_a_short_process(runtime, make_bundle):
    for _ in range(3):
        b = terminal_bundle(make_bundle, ["sh", "-c", PRINT_BIG])
        r = subprocess.run(runtime.cmd("run", "--bundle", b.path, runtime.new_id("term")), stdin=DEVNULL,
                           capture_output=True, timeout=60)
        assert r.returncode == 0, r.stderr
        assert r.stdout.count(b"x") == BIG
        assert r.stdout.endswith(b"END\r\n")


def test_tiny_output_right_before_exit(runtime, make_bundle):
    cid = start(runtime, make_bundle)
    for i in range(20):
        r = subprocess.run(runtime.cmd("exec", "-t", cid, "echo", f"n{i}"), stdin=DEVNULL, capture_output=True,
                           timeout=30)
        assert r.stdout == f"n{i}\r\n".encode()


def test_slow_reader_gets_everything_and_husk_does_not_spin(runtime, make_bundle):
    cid = start(runtime, make_bundle)
    p = subprocess.Popen(runtime.cmd("exec", "-t", cid, "sh", "-c", PRINT_BIG), stdin=DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        time.sleep(0.5)
        before = cpu_seconds(p.pid)
        time.sleep(2)  # nobody reads: the pipe and the pty fill up
        spent = cpu_seconds(p.pid) - before
        assert spent < 0.2, f"husk used {spent:.2f}s of CPU while blocked"
        out = p.stdout.read()
        p.wait(timeout=30)
        assert out.count(b"x") == BIG and out.endswith(b"END\r\n")
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def test_process_that_never_reads_stdin(runtime, make_bundle):
    """Input nobody reads fills the pty; husk must not spin on it and must
    still end when the process does."""
    cid = start(runtime, make_bundle)
    p = subprocess.Popen(runtime.cmd("exec", "-t", cid, "sh", "-c", "sleep 2; echo done"),
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        os.set_blocking(p.stdin.fileno(), False)
        try:
            p.stdin.write(b"a" * 200_000)
            p.stdin.flush()
        except BlockingIOError:
            pass
        time.sleep(0.5)
        before = cpu_seconds(p.pid)
        time.sleep(1)
        assert cpu_seconds(p.pid) - before < 0.2
        out, _ = p.communicate(timeout=30)
        assert b"done" in out
        assert p.returncode == 0
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def test_tty_output_into_head_ends_cleanly(runtime, make_bundle):
    cid = start(runtime, make_bundle)
    cmd = " ".join(runtime.cmd("exec", "-t", cid, "yes")) + " </dev/null | head -1"
    r = subprocess.run(["sh", "-c", cmd], capture_output=True, timeout=30)
    assert r.stdout == b"y\r\n"


def test_run_without_terminal_into_head_ends_cleanly(runtime, make_bundle):
    b = make_bundle(["yes"])
    cmd = " ".join(runtime.cmd("run", "--bundle", b.path, runtime.new_id("term"))) + " </dev/null | head -1"
    r = subprocess.run(["sh", "-c", cmd], capture_output=True, timeout=30)
    assert r.stdout == b"y\n"


def test_stdin_reaches_the_tty_process(runtime, make_bundle):
    cid = start(runtime, make_bundle)
    r = subprocess.run(runtime.cmd("exec", "-t", cid, "sh", "-c", "read a; read b; echo got:$a:$b"),
                       input=b"one\ntwo\n", capture_output=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert b"got:one:two" in r.stdout


def test_husk_signal_is_forwarded_under_the_relay(runtime, make_bundle):
    cid = start(runtime, make_bundle)
    p = subprocess.Popen(runtime.cmd("exec", "-t", cid, "sh", "-c",
                                     'trap "echo trapped; exit 9" USR1; echo ready; while :; do sleep 0.1; done'),
                         stdin=DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        read_until(p.stdout.fileno(), b"ready")
        p.send_signal(signal.SIGUSR1)
        p.wait(timeout=20)
        assert p.returncode == 9
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def test_detached_run_with_terminal_needs_a_console_socket(runtime, make_bundle):
    b = terminal_bundle(make_bundle, ["sh"])
    r = quiet(runtime, "run", "-d", "--bundle", b.path, runtime.new_id("term"))
    assert r.returncode != 0
    assert "console" in r.stderr
