"""Shared helpers and fixtures for driving real container managers with husk

HUSK_BIN picks the OCI runtime binary (default <repo>/build/husk); the same
tests run against /usr/sbin/runc to check that they assert what runc does.
Managers come from scripts/clients-setup.sh; a manager that is missing or
cannot run here makes its tests skip with the reason.

Every daemon (containerd, dockerd, tmux servers, namespace holders) is started
by a fixture and stopped by PID in its finalizer, failure or not.
"""
import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HUSK = os.path.abspath(os.environ.get("HUSK_BIN", os.path.join(REPO, "build", "husk")))
RUNTIME_NAME = os.path.basename(HUSK)
IS_HUSK = RUNTIME_NAME.startswith("husk")
DOCKER_DIR = os.environ.get("HUSK_DOCKER_DIR", "/opt/husk-clients/docker.io")
CGROUP_ROOT = "/sys/fs/cgroup"
IMAGE = "localhost/husk-busybox:test"


def tag():
    """A short unique name for things this run puts on the host."""
    return "husk-clients-" + uuid.uuid4().hex[:8]


def run(cmd, check=True, timeout=60, **kw):
    """subprocess.run with captured text; a failure shows the command and output."""
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    try:
        r = subprocess.run(cmd, timeout=timeout, **kw)
    except subprocess.TimeoutExpired as e:
        raise AssertionError(f"timed out after {timeout}s: {' '.join(cmd)}\n"
                             f"stdout: {e.stdout}\nstderr: {e.stderr}") from None
    if check and r.returncode != 0:
        raise AssertionError(f"exit {r.returncode}: {' '.join(cmd)}\n"
                             f"stdout: {r.stdout}\nstderr: {r.stderr}")
    return r


def wait_for(pred, timeout=10.0, interval=0.1, what="condition"):
    end = time.monotonic() + timeout
    last = None
    while time.monotonic() < end:
        last = pred()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


def stop_pid(pid, timeout=15.0, sig=signal.SIGTERM):
    """Stop one process we started: signal, wait, then SIGKILL."""
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        return
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if not os.path.exists(f"/proc/{pid}") or _is_zombie(pid):
            return
        time.sleep(0.1)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _is_zombie(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


class Daemon:
    """A long-running process started by a test, stopped by its PID."""

    def __init__(self, name, cmd, log_path, env=None, preexec=None):
        self.name = name
        self.log_path = log_path
        self.log = open(log_path, "ab")
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=env,
                                     start_new_session=True, preexec_fn=preexec)

    @property
    def pid(self):
        return self.proc.pid

    def alive(self):
        return self.proc.poll() is None

    def tail(self, n=30):
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    def stop(self, timeout=20.0):
        if self.proc.poll() is None:
            stop_pid(self.proc.pid, timeout)
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        self.log.close()


def require(binary, why=None):
    path = binary if os.path.isabs(binary) else shutil.which(binary)
    if not path or not os.access(path, os.X_OK):
        pytest.skip(why or f"{binary} not installed (run scripts/clients-setup.sh)")
    return path


@pytest.fixture(scope="session")
def husk_bin():
    if not os.access(HUSK, os.X_OK):
        pytest.skip(f"runtime binary {HUSK} missing (make, or set HUSK_BIN)")
    return HUSK


@pytest.fixture(scope="session")
def rootfs_tar(tmp_path_factory):
    """The busybox rootfs as a tar, the input of every image import."""
    d = tmp_path_factory.mktemp("image")
    rootfs = d / "rootfs"
    run([os.path.join(REPO, "scripts", "make-rootfs.sh"), str(rootfs)])
    tar = d / "rootfs.tar"
    run(["tar", "-C", str(rootfs), "--numeric-owner", "-cf", str(tar), "."])
    return str(tar)


# --- cgroups -----------------------------------------------------------------

def cgroup_dirs(rel):
    """Existing directories for a cgroup path, one per mounted hierarchy."""
    out = []
    for ctrl in sorted(os.listdir(CGROUP_ROOT)):
        p = os.path.join(CGROUP_ROOT, ctrl, rel.lstrip("/"))
        if os.path.isdir(p):
            out.append(p)
    return out


def rmdir_cgroup(rel):
    """rmdir one shared parent cgroup (no kill): it stays if anyone still uses it."""
    for d in cgroup_dirs(rel):
        try:
            os.rmdir(d)
        except OSError:
            pass


def kill_cgroup_procs(rel):
    """SIGKILL what is still running in a cgroup tree we made (thawing it first);
    returns the PIDs found, so a teardown can say the runtime left them."""
    found = set()
    for top in cgroup_dirs(rel):
        for dirpath, _, files in os.walk(top):
            if "freezer.state" in files:
                try:
                    with open(os.path.join(dirpath, "freezer.state"), "w") as f:
                        f.write("THAWED")
                except OSError:
                    pass
            try:
                with open(os.path.join(dirpath, "cgroup.procs")) as f:
                    found.update(int(x) for x in f.read().split())
            except OSError:
                pass
    for pid in found:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    if found:
        time.sleep(0.5)
    return sorted(found)


def remove_cgroup_tree(rel):
    """rmdir a cgroup and its children in every hierarchy; returns what stays."""
    left = [f"killed leftover processes {pids}" for pids in [kill_cgroup_procs(rel)] if pids]
    for top in cgroup_dirs(rel):
        for dirpath, dirnames, _ in os.walk(top, topdown=False):
            try:
                os.rmdir(dirpath)
            except OSError as e:
                left.append(f"{dirpath}: {e.strerror}")
    return left


# --- tmux ----------------------------------------------------------------------

class Tmux:
    """One tmux server on its own socket, for interactive (-it / -t) runs."""

    def __init__(self):
        require("tmux")
        # Short path: a unix socket name is limited to 108 bytes.
        self.dir = tempfile.mkdtemp(prefix="hc-tmux-")
        self.sock = os.path.join(self.dir, "sock")
        self.session = "t"
        self.server_pid = None

    def tm(self, *args, check=True):
        return run(["tmux", "-S", self.sock, *args], check=check, timeout=20)

    def start(self, cmd, width=80, height=24, env=None):
        """Run cmd (a shell string) in a new window; its exit code goes to a file."""
        self.rc_file = self.sock + ".rc"
        wrapped = f"{cmd}; echo $? > {self.rc_file}.tmp && mv {self.rc_file}.tmp {self.rc_file}"
        env_args = []
        for k, v in (env or {}).items():
            env_args += ["-e", f"{k}={v}"]
        self.tm("-f", "/dev/null", "new-session", "-d", "-s", self.session,
                "-x", str(width), "-y", str(height), *env_args, wrapped)
        self.server_pid = int(self.tm("display-message", "-p", "#{pid}").stdout.strip())
        # Keep the pane around after the command exits so its output stays readable.
        self.tm("set-option", "-t", self.session, "remain-on-exit", "on", check=False)

    def send(self, text, enter=True):
        self.tm("send-keys", "-t", self.session, "-l", text)
        if enter:
            self.tm("send-keys", "-t", self.session, "Enter")

    def screen(self):
        return self.tm("capture-pane", "-p", "-t", self.session, "-S", "-200").stdout

    def wait_text(self, text, timeout=15):
        return wait_for(lambda: text in self.screen(), timeout,
                        what=f"{text!r} on the terminal:\n{self.screen()}")

    def resize(self, width, height):
        self.tm("resize-window", "-t", self.session, "-x", str(width), "-y", str(height))

    def exit_code(self, timeout=20):
        wait_for(lambda: os.path.exists(self.rc_file), timeout,
                 what=f"the command to exit; screen:\n{self.screen()}")
        with open(self.rc_file) as f:
            return int(f.read().strip())

    def stop(self):
        if self.server_pid:
            stop_pid(self.server_pid, timeout=5)
            self.server_pid = None
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def tmux():
    t = Tmux()
    yield t
    t.stop()


# --- images --------------------------------------------------------------------

def make_docker_archive(rootfs_tar, ref, out):
    """A one-layer image in `docker save` format, by hand: both
    `ctr image import` and `docker load` read it."""
    import hashlib
    import io
    import json
    import tarfile

    h = hashlib.sha256()
    with open(rootfs_tar, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    diff_id = "sha256:" + h.hexdigest()
    config = json.dumps({
        "architecture": "amd64", "os": "linux",
        "config": {"Cmd": ["/bin/sh"], "WorkingDir": "/",
                   "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]},
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        "history": [{"created_by": "scripts/make-rootfs.sh"}],
    }, sort_keys=True).encode()
    config_name = hashlib.sha256(config).hexdigest() + ".json"
    layer_dir = h.hexdigest()
    manifest = json.dumps([{"Config": config_name, "RepoTags": [ref],
                            "Layers": [f"{layer_dir}/layer.tar"]}]).encode()

    def add_bytes(t, name, data):
        info = tarfile.TarInfo(name)
        info.size = len(data)
        info.mode = 0o644
        t.addfile(info, io.BytesIO(data))

    with tarfile.open(out, "w") as t:
        info = tarfile.TarInfo(layer_dir)
        info.type = tarfile.DIRTYPE
        info.mode = 0o755
        t.addfile(info)
        t.add(rootfs_tar, f"{layer_dir}/layer.tar")
        add_bytes(t, config_name, config)
        add_bytes(t, "manifest.json", manifest)
    return out


@pytest.fixture(scope="session")
def docker_archive(rootfs_tar, tmp_path_factory):
    out = str(tmp_path_factory.mktemp("archive") / "husk-busybox.tar")
    return make_docker_archive(rootfs_tar, IMAGE, out)
