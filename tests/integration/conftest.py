"""Fixtures for end-to-end tests that drive the real runtime binary.

HUSK_BIN selects the binary (default build/husk); pointing it at
/usr/sbin/runc checks that a test asserts runc's behaviour too.
"""
import copy
import json
import os
import shutil
import subprocess
import tempfile
import uuid

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HUSK = os.environ.get("HUSK_BIN", os.path.join(REPO, "build", "husk"))
ROOTFS_CACHE = os.path.join(REPO, "build", "test-rootfs")


def ensure_rootfs():
    if not os.path.exists(os.path.join(ROOTFS_CACHE, "bin", "busybox")):
        subprocess.run([os.path.join(REPO, "scripts", "make-rootfs.sh"), ROOTFS_CACHE], check=True)
    return ROOTFS_CACHE


def default_config(args=None):
    """The same defaults `runc spec` writes, with a busybox command."""
    caps = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
    return {
        "ociVersion": "1.0.2-dev",
        "process": {
            "terminal": False,
            "user": {"uid": 0, "gid": 0},
            "args": args or ["sh"],
            "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
            "cwd": "/",
            "capabilities": {k: list(caps) for k in ("bounding", "effective", "permitted", "ambient")},
            "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
            "noNewPrivileges": True,
        },
        "root": {"path": "rootfs", "readonly": True},
        "hostname": "husk",
        "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc"},
            {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
             "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
            {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
             "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
            {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
             "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
            {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
             "options": ["nosuid", "noexec", "nodev"]},
            {"destination": "/sys", "type": "sysfs", "source": "sysfs",
             "options": ["nosuid", "noexec", "nodev", "ro"]},
            {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
             "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]},
        ],
        "linux": {
            "resources": {"devices": [{"allow": False, "access": "rwm"}]},
            "namespaces": [{"type": t} for t in ("pid", "network", "ipc", "uts", "mount")],
            "maskedPaths": ["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
                            "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
                            "/proc/sched_debug", "/sys/firmware", "/proc/scsi"],
            "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                              "/proc/sysrq-trigger"],
        },
    }


class Bundle:
    def __init__(self, path, config):
        self.path = path
        self.config = config

    @property
    def rootfs(self):
        return os.path.join(self.path, self.config["root"]["path"])

    def save(self):
        with open(os.path.join(self.path, "config.json"), "w") as f:
            json.dump(self.config, f, indent=2)
        return self


_GLOBAL_WITH_VALUE = {"--root", "--log", "--log-format", "--criu", "--rootless"}


def _detaches(args):
    """Whether args (after the global flags) are create or run -d."""
    i = 0
    while i < len(args) and args[i].startswith("-"):
        i += 1 if "=" in args[i] or args[i] not in _GLOBAL_WITH_VALUE else 2
    if i >= len(args):
        return False
    cmd, rest = args[i], args[i + 1:]
    return cmd == "create" or (cmd == "run" and any(a in ("-d", "--detach") for a in rest))


class Runtime:
    """Runs the runtime binary with a private --root; deletes what is left."""

    def __init__(self, binary, root):
        self.binary = binary
        self.root = root
        self.ids = []

    def new_id(self, prefix="t"):
        cid = f"{prefix}-{uuid.uuid4().hex[:10]}"
        self.ids.append(cid)
        return cid

    def cmd(self, *args):
        return [self.binary, "--root", self.root, *args]

    def run(self, *args, input=None, timeout=60, check=False, **kw):
        """Run a command; stdout/stderr captured as text by default.

        create and run -d leave a container holding the stdio they were
        given, so their output goes through files rather than pipes (a pipe
        would never reach EOF while the container lives)."""
        if input is None and "stdin" not in kw:
            kw["stdin"] = subprocess.DEVNULL
        if _detaches(args) and "stdout" not in kw and kw.get("capture_output", True):
            kw.pop("capture_output", None)
            text = kw.pop("text", True)
            with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
                r = subprocess.run(self.cmd(*args), input=input, timeout=timeout, check=False,
                                   stdout=out, stderr=err, **kw)
                out.seek(0)
                err.seek(0)
                r.stdout, r.stderr = out.read(), err.read()
                if text:
                    r.stdout, r.stderr = r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")
            if check:
                r.check_returncode()
            return r
        kw.setdefault("capture_output", True)
        kw.setdefault("text", True)
        return subprocess.run(self.cmd(*args), input=input, timeout=timeout, check=check, **kw)

    def cleanup(self):
        for cid in self.ids:
            subprocess.run(self.cmd("delete", "--force", cid), capture_output=True, timeout=30)
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture
def runtime(tmp_path):
    root = tempfile.mkdtemp(prefix="husk-test-root-", dir="/run")
    rt = Runtime(HUSK, root)
    yield rt
    rt.cleanup()


@pytest.fixture
def make_bundle(tmp_path):
    """make_bundle(args=[...]) -> Bundle with its own copy of the rootfs."""
    src = ensure_rootfs()
    made = []

    def factory(args=None, config=None):
        # Not under tmp_path: pytest makes that 0700, and a container whose
        # root is a mapped uid (user namespace) must be able to reach its rootfs.
        path = tempfile.mkdtemp(prefix="husk-test-bundle-")
        os.chmod(path, 0o711)
        shutil.copytree(src, os.path.join(path, "rootfs"), symlinks=True)
        b = Bundle(path, copy.deepcopy(config) if config else default_config(args))
        made.append(b)
        return b.save()

    yield factory
    # Also on failure: no container process may outlive its test.
    import helpers
    for b in made:
        helpers.kill_procs(helpers.procs_in_bundle(b.path))
        shutil.rmtree(b.path, ignore_errors=True)


@pytest.fixture
def outdir():
    """A host directory, writable by any uid, for marker files."""
    d = tempfile.mkdtemp(prefix="husk-test-out-")
    os.chmod(d, 0o777)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def pytest_report_header(config):
    import helpers
    return f"runtime under test: {HUSK} ({helpers.runtime_name()})"
