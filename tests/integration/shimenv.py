"""A private containerd for the shim tests: its own root, state, sockets
under a mktemp dir, the CRI plugin disabled, and a busybox image imported
from an OCI archive built here (no registry is reachable).

    python3 tests/integration/shimenv.py start   # prints the env to export
    python3 tests/integration/shimenv.py stop DIR
"""
import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHIM = os.environ.get("HUSK_SHIM") or os.path.join(REPO, "build", "containerd-shim-husk-v2")
IMAGE = "docker.io/library/husk-shim-busybox:latest"


def build_oci_archive(rootfs, dest):
    """An OCI image layout tar holding rootfs as one uncompressed layer."""
    layer = io.BytesIO()
    with tarfile.open(fileobj=layer, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name in sorted(os.listdir(rootfs)):
            t.add(os.path.join(rootfs, name), arcname=name)
    layer = layer.getvalue()
    ldig = hashlib.sha256(layer).hexdigest()
    config = json.dumps({
        "architecture": "amd64", "os": "linux",
        "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                   "Cmd": ["sh"], "WorkingDir": "/"},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + ldig]},
    }).encode()
    cdig = hashlib.sha256(config).hexdigest()
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": "sha256:" + cdig, "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                    "digest": "sha256:" + ldig, "size": len(layer)}],
    }).encode()
    mdig = hashlib.sha256(manifest).hexdigest()
    index = json.dumps({
        "schemaVersion": 2,
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "digest": "sha256:" + mdig, "size": len(manifest),
                       "annotations": {"io.containerd.image.name": IMAGE,
                                       "org.opencontainers.image.ref.name": "latest"}}],
    }).encode()

    def add(t, name, data):
        ti = tarfile.TarInfo(name)
        ti.size = len(data)
        t.addfile(ti, io.BytesIO(data))

    with tarfile.open(dest, "w") as t:
        add(t, "oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
        add(t, "index.json", index)
        for dig, data in ((ldig, layer), (cdig, config), (mdig, manifest)):
            add(t, "blobs/sha256/" + dig, data)


def rootfs_dir():
    d = os.path.join(REPO, "build", "test-rootfs")
    if not os.path.exists(os.path.join(d, "bin", "busybox")):
        subprocess.run([os.path.join(REPO, "scripts", "make-rootfs.sh"), d], check=True)
    return d


class Containerd:
    def __init__(self, env=None):
        self.dir = tempfile.mkdtemp(prefix="husk-shim-ctd-", dir="/tmp")
        self.sock = os.path.join(self.dir, "c.sock")
        self.extra_env = env or {}
        self.proc = None
        self.ns = "huskshim"

    def config(self):
        d = self.dir
        return f"""version = 2
root = "{d}/root"
state = "{d}/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "{d}/c.sock"
[ttrpc]
  address = "{d}/c.sock.ttrpc"
[debug]
  level = "debug"
[plugins."io.containerd.internal.v1.opt"]
  path = "{d}/opt"
"""

    def start(self):
        cfg = os.path.join(self.dir, "config.toml")
        with open(cfg, "w") as f:
            f.write(self.config())
        env = dict(os.environ)
        env.update(self.extra_env)
        self.log = open(os.path.join(self.dir, "containerd.log"), "ab")
        self.proc = subprocess.Popen(["containerd", "--config", cfg], stdout=self.log,
                                     stderr=subprocess.STDOUT, env=env, start_new_session=True)
        with open(os.path.join(self.dir, "containerd.pid"), "w") as f:
            f.write(str(self.proc.pid))
        for _ in range(200):
            if os.path.exists(self.sock) and self.ctr("version", check=False).returncode == 0:
                return self
            if self.proc.poll() is not None:
                raise RuntimeError("containerd exited: " + self.logtail())
            time.sleep(0.05)
        raise RuntimeError("containerd did not come up: " + self.logtail())

    def logtail(self, n=4000):
        try:
            with open(os.path.join(self.dir, "containerd.log"), "rb") as f:
                return f.read()[-n:].decode(errors="replace")
        except OSError:
            return ""

    def ctr_cmd(self, *args):
        return ["ctr", "--address", self.sock, "--namespace", self.ns, *args]

    def ctr(self, *args, check=True, timeout=60, **kw):
        kw.setdefault("capture_output", True)
        kw.setdefault("text", True)
        r = subprocess.run(self.ctr_cmd(*args), timeout=timeout, **kw)
        if check and r.returncode != 0:
            raise AssertionError(f"ctr {' '.join(args)} -> {r.returncode}: {r.stderr}")
        return r

    def import_image(self):
        archive = os.path.join(self.dir, "busybox-oci.tar")
        build_oci_archive(rootfs_dir(), archive)
        self.ctr("image", "import", archive)
        return IMAGE

    def kill9(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def shim_pids(self):
        """PIDs of husk shims serving this containerd (matched by -address)."""
        pids = []
        for p in os.listdir("/proc"):
            if not p.isdigit():
                continue
            try:
                with open(f"/proc/{p}/cmdline", "rb") as f:
                    argv = f.read().split(b"\0")
            except OSError:
                continue
            if argv and argv[0].endswith(b"containerd-shim-husk-v2") and self.sock.encode() in argv:
                pids.append(int(p))
        return pids

    def cleanup(self):
        """Kill what is left (tasks, shims), stop containerd, unmount, remove."""
        try:
            if self.proc is None or self.proc.poll() is None:
                for line in self.ctr("task", "ls", "-q", check=False).stdout.split():
                    self.ctr("task", "kill", "-s", "KILL", line, check=False)
                    time.sleep(0.2)
                    self.ctr("task", "delete", "-f", line, check=False)
                for line in self.ctr("container", "ls", "-q", check=False).stdout.split():
                    self.ctr("container", "delete", line, check=False)
        finally:
            self.stop()
            sockets = []
            for root, _, files in os.walk(os.path.join(self.dir, "state")):
                if "address" in files:
                    with open(os.path.join(root, "address")) as f:
                        sockets.append(f.read().strip()[len("unix://"):])
            for pid in self.shim_pids():
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            with open("/proc/self/mountinfo") as f:
                mnts = [l.split()[4] for l in f if self.dir in l]
            for m in sorted(mnts, key=len, reverse=True):
                subprocess.run(["umount", "-l", m], capture_output=True)
            for sock in sockets:
                if sock.startswith("/run/containerd/s/husk-") and os.path.exists(sock):
                    os.unlink(sock)
            try:
                os.rmdir(f"/run/containerd/husk/{self.ns}")
            except OSError:
                pass
            shutil.rmtree(self.dir, ignore_errors=True)


if __name__ == "__main__":
    if sys.argv[1] == "start":
        c = Containerd().start()
        c.import_image()
        print(f"export CTD_DIR={c.dir} CTD_SOCK={c.sock} CTD_PID={c.proc.pid}")
    elif sys.argv[1] == "stop":
        c = Containerd()
        shutil.rmtree(c.dir)
        c.dir = sys.argv[2]
        c.sock = os.path.join(c.dir, "c.sock")
        with open(os.path.join(c.dir, "containerd.pid")) as f:
            pid = int(f.read())
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            ours = c.dir.encode() in f.read()
        c.cleanup()  # tasks and containers first, through the live containerd
        if ours:
            os.kill(pid, signal.SIGTERM)
