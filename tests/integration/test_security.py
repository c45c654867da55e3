"""Process hardening observed from inside the container: capabilities,
no_new_privs, seccomp (errno, kill, a docker-like default profile,
SCMP_ACT_NOTIFY with a listener of our own), LSM and capability errors.

Runs against any runtime: HUSK_BIN=/usr/sbin/runc checks the assertions
against runc's behaviour.
"""
import ctypes
import errno
import json
import os
import socket
import struct
import tempfile
import threading

import pytest

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")

CAP = {"CAP_CHOWN": 0, "CAP_KILL": 5, "CAP_SETGID": 6, "CAP_SETUID": 7, "CAP_NET_BIND_SERVICE": 10,
       "CAP_NET_RAW": 13, "CAP_SYS_ADMIN": 21, "CAP_SYS_RESOURCE": 24, "CAP_AUDIT_WRITE": 29}


def mask(*names):
    return sum(1 << CAP[n] for n in names)


def status_of(text):
    out = {}
    for line in text.splitlines():
        k, _, v = line.partition(":")
        out[k] = v.strip()
    return out


def run(runtime, bundle, prefix="security"):
    cid = runtime.new_id(prefix)
    return runtime.run("run", "--bundle", bundle.path, cid, timeout=60)


def run_status(runtime, make_bundle, mutate=None):
    b = make_bundle(args=["cat", "/proc/self/status"])
    if mutate:
        mutate(b.config)
    b.save()
    r = run(runtime, b)
    assert r.returncode == 0, r.stderr
    return status_of(r.stdout)


def test_default_capabilities(runtime, make_bundle):
    st = run_status(runtime, make_bundle)
    want = mask("CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE")
    for k in ("CapBnd", "CapPrm", "CapEff"):
        assert int(st[k], 16) == want, (k, st[k])
    assert int(st["CapInh"], 16) == 0
    # runc's default spec lists ambient without inheritable: they are not raised.
    assert int(st["CapAmb"], 16) == 0
    assert st["NoNewPrivs"] == "1"
    assert st["Seccomp"] == "0"


def test_nonroot_user_keeps_listed_caps(runtime, make_bundle):
    def mutate(c):
        c["process"]["user"] = {"uid": 1000, "gid": 1000, "additionalGids": [1001, 1002], "umask": 23}
        c["process"]["capabilities"] = {
            "bounding": ["CAP_NET_BIND_SERVICE", "CAP_KILL", "CAP_CHOWN"],
            "effective": ["CAP_NET_BIND_SERVICE"], "permitted": ["CAP_NET_BIND_SERVICE"],
            "inheritable": ["CAP_NET_BIND_SERVICE"], "ambient": ["CAP_NET_BIND_SERVICE"]}
    st = run_status(runtime, make_bundle, mutate)
    assert int(st["CapBnd"], 16) == mask("CAP_NET_BIND_SERVICE", "CAP_KILL", "CAP_CHOWN")
    for k in ("CapPrm", "CapEff", "CapInh", "CapAmb"):
        assert int(st[k], 16) == mask("CAP_NET_BIND_SERVICE"), (k, st[k])
    assert st["Uid"].split() == ["1000"] * 4
    assert st["Gid"].split() == ["1000"] * 4
    assert st["Groups"].split() == ["1001", "1002"]
    assert st["Umask"] == "0027"


def test_no_new_privileges_false(runtime, make_bundle):
    st = run_status(runtime, make_bundle, lambda c: c["process"].update(noNewPrivileges=False))
    assert st["NoNewPrivs"] == "0"


def errno_profile(err=errno.EXDEV):
    return {"defaultAction": "SCMP_ACT_ALLOW",
            "syscalls": [{"names": ["mkdir", "mkdirat", "no_such_syscall_husk"],
                          "action": "SCMP_ACT_ERRNO", "errnoRet": err}]}


def mkdir_bundle(make_bundle, profile, extra=None):
    b = make_bundle(args=["sh", "-c", "grep Seccomp: /proc/self/status; mkdir /tmp/blocked && echo created"])
    b.config["root"]["readonly"] = False
    b.config["linux"]["seccomp"] = profile
    if extra:
        extra(b.config)
    return b.save()


def test_seccomp_errno(runtime, make_bundle):
    r = run(runtime, mkdir_bundle(make_bundle, errno_profile()))
    assert "Seccomp:\t2" in r.stdout
    assert "created" not in r.stdout
    assert os.strerror(errno.EXDEV) in r.stderr


def test_seccomp_without_nnp_as_nonroot(runtime, make_bundle):
    """Loading a filter without no_new_privs needs CAP_SYS_ADMIN, which the
    container user does not keep: the runtime must load it before dropping."""
    def extra(c):
        c["process"]["noNewPrivileges"] = False
        c["process"]["user"] = {"uid": 1000, "gid": 1000}
    r = run(runtime, mkdir_bundle(make_bundle, errno_profile(), extra))
    assert "Seccomp:\t2" in r.stdout, r.stderr
    assert os.strerror(errno.EXDEV) in r.stderr


def test_seccomp_kill_process(runtime, make_bundle):
    p = {"defaultAction": "SCMP_ACT_ALLOW",
         "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_KILL_PROCESS"}]}
    b = make_bundle(args=["mkdir", "/tmp/x"])
    b.config["linux"]["seccomp"] = p
    r = run(runtime, b.save())
    assert r.returncode == 128 + 31  # SIGSYS


def test_seccomp_default_like_profile(runtime, make_bundle):
    with open(os.path.join(DATA, "seccomp-default.json")) as f:
        profile = json.load(f)
    b = make_bundle(args=["sh", "-c", "echo hello; ls / >/dev/null && echo listed; "
                          "unshare -U true; echo unshare=$?; grep Seccomp: /proc/self/status"])
    b.config["linux"]["seccomp"] = profile
    r = run(runtime, b.save())
    assert r.returncode == 0, r.stderr
    assert "hello" in r.stdout and "listed" in r.stdout
    # clone/unshare of a user namespace is not in the profile: EPERM.
    assert "unshare=0" not in r.stdout
    assert "Seccomp:\t2" in r.stdout


def test_seccomp_bad_profile_fails_create(runtime, make_bundle):
    b = make_bundle(args=["true"])
    b.config["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW",
                                    "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_FOO"}]}
    b.save()
    cid = runtime.new_id("security")
    r = runtime.run("create", "--bundle", b.path, cid)
    assert r.returncode != 0
    assert "SCMP_ACT_FOO" in r.stderr


# SECCOMP_IOCTL_NOTIF_RECV / SEND: _IOWR('!', 0, struct seccomp_notif (80 bytes))
# and _IOWR('!', 1, struct seccomp_notif_resp (24 bytes)).
NOTIF_RECV = 0xC0502100
NOTIF_SEND = 0xC0182101


class Listener(threading.Thread):
    """A seccomp agent: takes the notify fd, answers every notification
    with `answer` errno, records the message."""

    def __init__(self, path, answer):
        super().__init__(daemon=True)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(1)
        self.sock.settimeout(60)
        self.answer = answer
        self.message = None
        self.syscalls = []
        self.error = None

    def run(self):
        try:
            conn, _ = self.sock.accept()
            msg, fds, _, _ = socket.recv_fds(conn, 65536, 1)
            self.message = json.loads(msg.decode())
            nfd = fds[0]
            libc = ctypes.CDLL(None, use_errno=True)
            while True:
                req = ctypes.create_string_buffer(80)
                if libc.ioctl(nfd, NOTIF_RECV, req) < 0:
                    break  # ENOENT/EBADF: the container is gone
                nid, _pid, _flags, nr = struct.unpack_from("QIIi", req.raw)
                self.syscalls.append(nr)
                resp = ctypes.create_string_buffer(struct.pack("QqiI", nid, 0, -self.answer, 0), 24)
                libc.ioctl(nfd, NOTIF_SEND, resp)
        except Exception as e:  # reported by the test
            self.error = e


def test_seccomp_notify(runtime, make_bundle):
    d = tempfile.mkdtemp(prefix="husk-security-notify-")
    path = os.path.join(d, "agent.sock")
    agent = Listener(path, errno.ENOTBLK)
    agent.start()
    try:
        p = {"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": path, "listenerMetadata": "husk-meta",
             "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_NOTIFY"}]}
        b = mkdir_bundle(make_bundle, p)
        r = run(runtime, b)
        agent.join(30)
        assert agent.error is None, agent.error
        m = agent.message
        assert m is not None, r.stderr
        assert m["fds"] == ["seccompFd"]
        assert m["metadata"] == "husk-meta"
        assert m["pid"] > 0 and m["state"]["pid"] == m["pid"]
        assert m["state"]["bundle"] == b.path
        assert "ociVersion" in m and "ociVersion" in m["state"]
        assert agent.syscalls, "the agent received no notification"
        assert os.strerror(errno.ENOTBLK) in r.stderr
        assert "created" not in r.stdout
    finally:
        agent.sock.close()
        os.unlink(path)
        os.rmdir(d)


def test_apparmor_profile_without_apparmor(runtime, make_bundle):
    if os.path.exists("/sys/module/apparmor/parameters/enabled"):
        pytest.skip("AppArmor is available here")
    b = make_bundle(args=["true"])
    b.config["process"]["apparmorProfile"] = "husk-test-profile"
    r = run(runtime, b.save())
    assert r.returncode != 0, "an AppArmor profile was silently ignored"
    assert "apparmor" in r.stderr.lower()


def test_selinux_label_without_selinux(runtime, make_bundle):
    if os.path.exists("/sys/fs/selinux/enforce"):
        pytest.skip("SELinux is available here")
    b = make_bundle(args=["true"])
    b.config["process"]["selinuxLabel"] = "system_u:system_r:container_t:s0"
    r = run(runtime, b.save())
    assert r.returncode != 0, "an SELinux label was silently ignored"
    assert "selinux" in r.stderr.lower()


def host_has_cap(n):
    with open("/proc/self/status") as f:
        bnd = int(status_of(f.read())["CapBnd"], 16)
    return bool(bnd & (1 << CAP[n]))


def test_capability_missing_on_host(runtime, make_bundle):
    if host_has_cap("CAP_SYS_RESOURCE"):
        pytest.skip("this host has CAP_SYS_RESOURCE")
    b = make_bundle(args=["true"])
    for k in ("bounding", "effective", "permitted"):
        b.config["process"]["capabilities"][k].append("CAP_SYS_RESOURCE")
    r = run(runtime, b.save())
    assert r.returncode != 0
    assert "CAP_SYS_RESOURCE" in r.stderr


def test_unknown_capability_is_an_error(runtime, make_bundle):
    b = make_bundle(args=["true"])
    b.config["process"]["capabilities"]["bounding"].append("CAP_HUSK_BOGUS")
    r = run(runtime, b.save())
    assert r.returncode != 0
    assert "CAP_HUSK_BOGUS" in r.stderr


def test_starts_under_1mib_memory_limit(runtime, make_bundle):
    """Sealing the runtime binary must cost the container no memory: a
    sealed memfd copy charged to the container's cgroup is why runc fails
    to start containers under limits of a few MiB."""
    b = make_bundle(args=["echo", "started"])
    b.config["linux"]["resources"]["memory"] = {"limit": 1024 * 1024}
    r = run(runtime, b.save(), prefix="security-mem")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "started"
