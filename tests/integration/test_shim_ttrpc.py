"""The shim's ttrpc server and Task service, driven by our own client
(tests/integration/ttrpcclient.py) without containerd: edge cases of the
protocol, out-of-order replies, events, and the start/delete actions.

The runtime is build/husk, or HUSK_RUNTIME (e.g. /usr/sbin/runc)."""
import os
import shutil
import signal
import socket
import struct
import subprocess
import threading
import time
import uuid

import pytest

from ttrpcclient import Client, decode, first, msg
from conftest import REPO

SHIM = os.environ.get("HUSK_SHIM") or os.path.join(REPO, "build", "containerd-shim-husk-v2")
RUNTIME = os.environ.get("HUSK_RUNTIME") or os.path.join(REPO, "build", "husk")

UNIMPLEMENTED, NOT_FOUND, INVALID_ARGUMENT, RESOURCE_EXHAUSTED = 12, 5, 3, 8


class EventSink:
    """Plays containerd's ttrpc Events service: records forwarded events."""

    def __init__(self, path):
        self.path = path
        self.events = []
        self.lock = threading.Lock()
        self.srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.srv.bind(path)
        self.srv.listen(8)
        self.stopped = False
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while not self.stopped:
            try:
                c, _ = self.srv.accept()
            except OSError:
                return
            threading.Thread(target=self.conn, args=(c,), daemon=True).start()

    def conn(self, c):
        try:
            while True:
                hdr = c.recv(10, socket.MSG_WAITALL)
                if len(hdr) < 10:
                    return
                ln, stream, _, _ = struct.unpack(">IIBB", hdr)
                body = c.recv(ln, socket.MSG_WAITALL) if ln else b""
                req = decode(body)
                env = decode(first(decode(first(req, 3, b"")), 1, b""))
                any_ = decode(first(env, 4, b""))
                with self.lock:
                    self.events.append((first(env, 3, b"").decode(), first(any_, 1, b"").decode(),
                                        decode(first(any_, 2, b"")), first(env, 2, b"").decode()))
                resp = msg((1, b""))
                c.sendall(struct.pack(">IIBB", len(resp), stream, 2, 0) + resp)
        except OSError:
            return

    def topics(self):
        with self.lock:
            return [e[0] for e in self.events]

    def wait_for(self, topic, timeout=10):
        end = time.time() + timeout
        while time.time() < end:
            with self.lock:
                for e in self.events:
                    if e[0] == topic:
                        return e
            time.sleep(0.05)
        raise AssertionError(f"no {topic} event; got {self.topics()}")

    def close(self):
        self.stopped = True
        self.srv.close()
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass


class ShimDaemon:
    def __init__(self, tmp, events_path=None):
        self.ns = "huskshimtest" + uuid.uuid4().hex[:6]
        self.sock_path = os.path.join(tmp, "shim.sock")
        lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        lsock.bind(self.sock_path)
        lsock.listen(16)
        env = dict(os.environ, HUSK_RUNTIME=RUNTIME, TTRPC_ADDRESS=events_path or os.path.join(tmp, "none"))
        fd = lsock.fileno()

        def setup():
            os.dup2(fd, 3)
            os.setsid()

        self.proc = subprocess.Popen([SHIM, "-namespace", self.ns, "-id", "x", "-address", "/nonexistent"],
                                     preexec_fn=setup, pass_fds=(fd, 3), cwd=tmp, env=env,
                                     stderr=open(os.path.join(tmp, "shim.log"), "wb"))
        lsock.close()
        self.tmp = tmp

    def client(self):
        return Client(self.sock_path, ns=self.ns)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        subprocess.run([RUNTIME, "--root", f"/run/containerd/husk/{self.ns}", "delete", "--force", "t1"],
                       capture_output=True)
        shutil.rmtree(f"/run/containerd/husk/{self.ns}", ignore_errors=True)


@pytest.fixture
def sink(tmp_path):
    s = EventSink(str(tmp_path / "events.sock"))
    yield s
    s.close()


@pytest.fixture
def shim(tmp_path, sink):
    d = ShimDaemon(str(tmp_path), sink.path)
    yield d
    d.stop()


def create_req(cid, bundle, stdout="", stdin="", terminal=False):
    return msg((1, cid), (2, bundle), (4, terminal), (5, stdin), (6, stdout))


def test_unknown_method_and_service(shim):
    c = shim.client()
    r = c.call("Frobnicate")
    assert r.code == UNIMPLEMENTED and "Frobnicate" in r.message
    r = c.call("Create", service="containerd.task.v3.Nope")
    assert r.code == UNIMPLEMENTED
    r = c.call("Checkpoint", msg((1, "t1")))
    assert r.code == UNIMPLEMENTED
    # the connection still works afterwards
    r = c.call("Connect", msg((1, "t1")))
    assert r.code == 0 and first(r.fields(), 1) == shim.proc.pid


def test_malformed_payload_and_request(shim):
    c = shim.client()
    r = c.call("State", b"\xff\xff\xff\xff")
    assert r.code == INVALID_ARGUMENT
    # a frame whose body is not a ttrpc Request at all
    c.sock.sendall(c.frame(b"\x0a\xff\xff\xff\x0f", 101))
    r = c.recv()
    assert r.stream == 101 and r.code == INVALID_ARGUMENT
    # client streams must be odd
    c.sock.sendall(c.frame(c.request_bytes("containerd.task.v2.Task", "Connect"), 4))
    r = c.recv()
    assert r.stream == 4 and r.code == INVALID_ARGUMENT
    assert c.call("Connect").code == 0


def test_oversize_message_is_refused_and_connection_survives(shim):
    c = shim.client()
    big = 4 * 1024 * 1024 + 1
    c.sock.sendall(struct.pack(">IIBB", big, 7, 1, 0))
    chunk = b"\0" * 65536
    left = big
    while left:
        n = min(left, len(chunk))
        c.sock.sendall(chunk[:n])
        left -= n
    r = c.recv()
    assert r.stream == 7 and r.code == RESOURCE_EXHAUSTED
    c.next_stream = 9
    assert c.call("Connect").code == 0


def test_disconnect_mid_request_keeps_serving_others(shim):
    other = shim.client()
    for cut in (3, 10, 14):
        c = shim.client()
        frame = c.frame(c.request_bytes("containerd.task.v2.Task", "Connect"), 1)
        c.sock.sendall(frame[:cut])
        c.close()
    # a header promising a large body, then gone
    c = shim.client()
    c.sock.sendall(struct.pack(">IIBB", 1000000, 1, 1, 0) + b"x" * 100)
    c.close()
    assert other.call("Connect").code == 0
    assert shim.client().call("Connect").code == 0
    assert shim.proc.poll() is None


def test_not_found(shim):
    c = shim.client()
    r = c.call("Wait", msg((1, "nope")))
    assert r.code == NOT_FOUND
    r = c.call("State", msg((1, "nope"), (2, "e1")))
    assert r.code == NOT_FOUND


def test_wait_is_answered_out_of_order(shim, sink, make_bundle):
    b = make_bundle(args=["sh", "-c", "read x; exit 9"])
    os.mkfifo(os.path.join(b.path, "in"))
    c = shim.client()
    r = c.call("Create", create_req("t1", b.path, stdin=os.path.join(b.path, "in")))
    assert r.code == 0, r.message
    pid = first(r.fields(), 1)
    assert pid > 0
    # Wait first, then Start and State on the same connection: their
    # replies must come back while Wait is still pending.
    wait_stream = c.send("containerd.task.v2.Task", "Wait", msg((1, "t1")))
    start_stream = c.send("containerd.task.v2.Task", "Start", msg((1, "t1")))
    state_stream = c.send("containerd.task.v2.Task", "State", msg((1, "t1")))
    replies = [c.recv(), c.recv()]
    assert [x.stream for x in replies] == [start_stream, state_stream]
    assert replies[0].code == 0 and first(replies[0].fields(), 1) == pid
    assert first(replies[1].fields(), 4) == 2  # RUNNING
    # the process exits when stdin closes (CloseIO)
    assert c.call("CloseIO", msg((1, "t1"), (3, True))).code == 0
    w = c.recv()
    assert w.stream == wait_stream and w.code == 0
    assert first(w.fields(), 1) == 9
    st = c.call("State", msg((1, "t1"))).fields()
    assert first(st, 4) == 3 and first(st, 9) == 9  # STOPPED, exit 9
    r = c.call("Delete", msg((1, "t1")))
    assert r.code == 0 and first(r.fields(), 2) == 9
    for topic in ("/tasks/create", "/tasks/start", "/tasks/exit", "/tasks/delete"):
        sink.wait_for(topic)
    topics = sink.topics()
    assert topics.index("/tasks/start") < topics.index("/tasks/exit") < topics.index("/tasks/delete")
    ev = sink.wait_for("/tasks/exit")
    assert ev[1] == "containerd.events.TaskExit" and first(ev[2], 4) == 9 and ev[3] == shim.ns
    # Shutdown with no task left: the shim exits
    assert c.call("Shutdown", msg((1, "t1"))).code == 0
    assert shim.proc.wait(timeout=10) == 0


def test_stdout_fifo_and_exec(shim, make_bundle):
    b = make_bundle(args=["sh", "-c", "echo from-init; sleep 100"])
    out = os.path.join(b.path, "out")
    os.mkfifo(out)
    rfd = os.open(out, os.O_RDONLY | os.O_NONBLOCK)
    c = shim.client()
    try:
        assert c.call("Create", create_req("t1", b.path, stdout=out)).code == 0
        assert c.call("Start", msg((1, "t1"))).code == 0
        data = b""
        end = time.time() + 10
        while b"from-init" not in data and time.time() < end:
            try:
                data += os.read(rfd, 4096)
            except BlockingIOError:
                time.sleep(0.05)
        assert b"from-init\n" in data
        # nothing of the shim leaks into the container: stdio only, and
        # default signal dispositions (the shim ignores SIGPIPE)
        init = first(c.call("State", msg((1, "t1"))).fields(), 3)
        assert sorted(int(fd) for fd in os.listdir(f"/proc/{init}/fd")) == [0, 1, 2]
        with open(f"/proc/{init}/status") as f:
            ign = int([l for l in f if l.startswith("SigIgn:")][0].split()[1], 16)
        assert not ign & (1 << (signal.SIGPIPE - 1))
        spec = ('{"args":["sh","-c","echo from-exec; exit 4"],"cwd":"/","env":["PATH=/bin"],'
                '"user":{"uid":0,"gid":0}}')
        anyspec = msg((1, "types.containerd.io/opencontainers/runtime-spec/1/Process"), (2, spec))
        r = c.call("Exec", msg((1, "t1"), (2, "e1"), (5, out), (7, anyspec)))
        assert r.code == 0, r.message
        assert c.call("Exec", msg((1, "t1"), (2, "e1"), (7, anyspec))).code == 6  # AlreadyExists
        ws = c.send("containerd.task.v2.Task", "Wait", msg((1, "t1"), (2, "e1")))
        r = c.call("Start", msg((1, "t1"), (2, "e1")))
        assert r.code == 0, r.message
        w = c.recv()
        assert w.stream == ws and first(w.fields(), 1) == 4
        end = time.time() + 10
        while b"from-exec" not in data and time.time() < end:
            try:
                data += os.read(rfd, 4096)
            except BlockingIOError:
                time.sleep(0.05)
        assert b"from-exec\n" in data
        assert c.call("Delete", msg((1, "t1"), (2, "e1"))).code == 0
        assert c.call("State", msg((1, "t1"), (2, "e1"))).code == NOT_FOUND
        # Delete of a running init is refused; Kill then Delete works
        assert c.call("Delete", msg((1, "t1"))).code != 0
        ws = c.send("containerd.task.v2.Task", "Wait", msg((1, "t1")))
        assert c.call("Kill", msg((1, "t1"), (3, 9))).code == 0
        w = c.recv()
        assert w.stream == ws and first(w.fields(), 1) == 137
        assert c.call("Kill", msg((1, "t1"), (3, 9))).code == NOT_FOUND
        r = c.call("Delete", msg((1, "t1")))
        assert r.code == 0 and first(r.fields(), 2) == 137
    finally:
        os.close(rfd)


def test_events_are_queued_until_containerd_listens(tmp_path, make_bundle):
    events = str(tmp_path / "late-events.sock")
    d = ShimDaemon(str(tmp_path), events)
    try:
        b = make_bundle(args=["true"])
        c = d.client()
        assert c.call("Create", create_req("t1", b.path)).code == 0
        assert c.call("Start", msg((1, "t1"))).code == 0
        ws = c.send("containerd.task.v2.Task", "Wait", msg((1, "t1")))
        assert first(c.recv().fields(), 1, 0) == 0
        time.sleep(1)  # several retries fail meanwhile
        sink = EventSink(events)
        try:
            sink.wait_for("/tasks/exit")
            assert sink.topics()[:3] == ["/tasks/create", "/tasks/start", "/tasks/exit"]
        finally:
            sink.close()
    finally:
        d.stop()


def test_start_and_delete_actions(tmp_path):
    ns = "huskshimtest" + uuid.uuid4().hex[:6]
    cid = "start-" + uuid.uuid4().hex[:6]
    args = [SHIM, "-namespace", ns, "-address", str(tmp_path / "c.sock"), "-publish-binary", "/bin/true",
            "-id", cid]
    r = subprocess.run(args + ["start"], cwd=tmp_path, capture_output=True, text=True, timeout=10,
                       stdin=subprocess.DEVNULL, env=dict(os.environ, TTRPC_ADDRESS=str(tmp_path / "ev")))
    assert r.returncode == 0 and r.stderr == ""
    assert r.stdout.startswith("unix:///run/containerd/s/")
    path = r.stdout[len("unix://"):]
    try:
        assert open(tmp_path / "address").read() == r.stdout
        pid = int(open(tmp_path / "shim.pid").read())
        with open(f"/proc/{pid}/stat") as f:
            ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        assert ppid == 1 or ppid != os.getpid()  # re-parented, not our child
        # start again: same live shim, same address
        r2 = subprocess.run(args + ["start"], cwd=tmp_path, capture_output=True, text=True, timeout=10,
                            stdin=subprocess.DEVNULL)
        assert r2.stdout == r.stdout
        c = Client(path, ns=ns)
        assert first(c.call("Connect", msg((1, cid))).fields(), 1) == pid
        assert c.call("Shutdown", msg((1, cid))).code == 0
        end = time.time() + 5
        while os.path.exists(f"/proc/{pid}") and time.time() < end:
            time.sleep(0.05)
        assert not os.path.exists(path)
    finally:
        if os.path.exists(path):
            os.unlink(path)
    r = subprocess.run(args + ["-bundle", str(tmp_path), "delete"], capture_output=True, timeout=10,
                       env=dict(os.environ, HUSK_RUNTIME=RUNTIME))
    assert r.returncode == 0
    d = decode(r.stdout)
    assert first(d, 2) == 137 and first(decode(first(d, 3)), 1) > 0
    shutil.rmtree(f"/run/containerd/husk/{ns}", ignore_errors=True)


def test_waiter_that_disconnects_is_dropped(shim, make_bundle):
    b = make_bundle(args=["sleep", "100"])
    c = shim.client()
    assert c.call("Create", create_req("t1", b.path)).code == 0
    assert c.call("Start", msg((1, "t1"))).code == 0
    for _ in range(5):
        gone = shim.client()
        gone.send("containerd.task.v2.Task", "Wait", msg((1, "t1")))
        time.sleep(0.05)
        gone.close()
    ws = c.send("containerd.task.v2.Task", "Wait", msg((1, "t1")))
    assert c.call("Kill", msg((1, "t1"), (3, 9))).code == 0
    w = c.recv()
    assert w.stream == ws and first(w.fields(), 1) == 137
    assert c.call("Delete", msg((1, "t1"))).code == 0
    assert shim.proc.poll() is None


def memory_cgroup(pid):
    with open(f"/proc/{pid}/cgroup") as f:
        for line in f:
            _, ctrls, path = line.rstrip("\n").split(":", 2)
            if "memory" in ctrls.split(","):
                return f"/sys/fs/cgroup/{ctrls}{path}"
    return None


def test_update_pause_resume_pids_stats(shim, sink, make_bundle):
    b = make_bundle(args=["sleep", "100"])
    c = shim.client()
    r = c.call("Create", create_req("t1", b.path))
    assert r.code == 0, r.message
    pid = first(r.fields(), 1)
    assert c.call("Start", msg((1, "t1"))).code == 0
    res = msg((1, "types.containerd.io/opencontainers/runtime-spec/1/LinuxResources"),
              (2, '{"memory":{"limit":52428800}}'))
    r = c.call("Update", msg((1, "t1"), (2, res)))
    assert r.code == 0, r.message
    cg = memory_cgroup(pid)
    if cg and os.path.exists(os.path.join(cg, "memory.limit_in_bytes")):
        assert open(os.path.join(cg, "memory.limit_in_bytes")).read().strip() == "52428800"
    r = c.call("Pids", msg((1, "t1")))
    assert r.code == 0, r.message
    procs = [decode(p) for p in r.fields().get(1, [])]
    assert [first(p, 1) for p in procs] == [pid]
    r = c.call("Stats", msg((1, "t1")))
    assert r.code == 0, r.message
    stats = decode(first(r.fields(), 1))
    assert first(stats, 1) == b"io.containerd.cgroups.v1.Metrics"
    metrics = decode(first(stats, 2))
    mem = decode(first(metrics, 4))
    assert first(decode(first(mem, 33)), 1) == 52428800  # usage.limit
    assert first(decode(first(metrics, 2)), 1) == 1  # pids.current
    assert c.call("Pause", msg((1, "t1"))).code == 0
    assert first(c.call("State", msg((1, "t1"))).fields(), 4) == 4  # PAUSED
    assert c.call("Resume", msg((1, "t1"))).code == 0
    assert first(c.call("State", msg((1, "t1"))).fields(), 4) == 2
    sink.wait_for("/tasks/paused")
    sink.wait_for("/tasks/resumed")
    assert c.call("Kill", msg((1, "t1"), (3, 9))).code == 0
    ws = c.send("containerd.task.v2.Task", "Wait", msg((1, "t1")))
    assert first(c.recv().fields(), 1) == 137
    assert c.call("Delete", msg((1, "t1"))).code == 0


def test_create_failure_reports_runtime_error(shim, tmp_path):
    bundle = tmp_path / "empty-bundle"
    bundle.mkdir()
    r = shim.client().call("Create", create_req("t1", str(bundle)))
    assert r.code != 0
    assert "config.json" in r.message, r.message


def test_pipelined_requests_and_a_client_that_does_not_read(shim):
    slow = shim.client()
    n = 60000  # replies well over the 1 MiB the shim buffers per client
    frames = b"".join(slow.frame(slow.request_bytes("containerd.task.v2.Task", "Connect"), 2 * i + 1)
                      for i in range(n))
    # the shim's replies fill the socket buffers; it must keep serving others
    sender = threading.Thread(target=slow.sock.sendall, args=(frames,), daemon=True)
    sender.start()
    time.sleep(0.5)
    other = shim.client()
    assert other.call("Connect").code == 0
    got = [slow.recv().stream for _ in range(n)]
    assert got == [2 * i + 1 for i in range(n)]
    sender.join(timeout=10)
    assert other.call("Connect").code == 0
