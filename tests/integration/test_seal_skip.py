"""create/run skip the sealed re-exec (CVE-2019-5736) only when the init
provably cannot execute husk: new pid namespace, and process.args[0] with
its interpreters resolves in the rootfs to files that are not husk and
crosses no mount target.  A createRuntime hook (run by the husk parent)
reads /proc/$PPID/exe: the host binary when unsealed, a detached read-only
mount ("/") when sealed."""
import os
import shutil

import pytest

from helpers import add_bind, assert_failed, assert_nothing_left, husk_only

pytestmark = husk_only("the seal decision is husk's own")


def exe_hook(bundle, outdir):
    bundle.config.setdefault("hooks", {})["createRuntime"] = [
        {"path": "/bin/sh", "args": ["sh", "-c", f"readlink /proc/$PPID/exe > {outdir}/exe"]}]
    bundle.save()


def parent_exe(outdir):
    with open(os.path.join(outdir, "exe")) as f:
        return f.read().strip()


def run(runtime, bundle):
    cid = runtime.new_id("seal")
    r = runtime.run("run", "-b", bundle.path, cid)
    return cid, r


@pytest.mark.parametrize("args", [["/bin/true"], ["true"]], ids=["absolute", "path-lookup"])
def test_plain_binary_runs_unsealed(runtime, make_bundle, outdir, args):
    b = make_bundle(args)
    exe_hook(b, outdir)
    cid, r = run(runtime, b)
    assert r.returncode == 0, r.stderr
    assert parent_exe(outdir) == os.path.realpath(runtime.binary)
    assert_nothing_left(runtime, cid, b)


def test_symlink_to_proc_self_exe_seals(runtime, make_bundle, outdir):
    b = make_bundle(["/bin/evil"])
    os.symlink("/proc/self/exe", os.path.join(b.rootfs, "bin", "evil"))
    exe_hook(b, outdir)
    cid, r = run(runtime, b)
    assert parent_exe(outdir) == "/", "husk must re-exec sealed"
    # What runs is the sealed husk, as pid 1, with the container's argv
    # (no command: it prints its usage and fails).
    assert r.returncode != 0 and "Usage: husk" in r.stderr
    assert_nothing_left(runtime, cid, b)


def test_shebang_proc_self_exe_seals(runtime, make_bundle, outdir):
    b = make_bundle(["/bin/evil"])
    evil = os.path.join(b.rootfs, "bin", "evil")
    with open(evil, "w") as f:
        f.write("#!/proc/self/exe\n")
    os.chmod(evil, 0o755)
    exe_hook(b, outdir)
    run(runtime, b)
    assert parent_exe(outdir) == "/"


def test_hardlink_of_husk_in_rootfs_seals(runtime, make_bundle, outdir):
    b = make_bundle(["/bin/evil"])
    try:
        os.link(os.path.realpath(runtime.binary), os.path.join(b.rootfs, "bin", "evil"))
    except OSError as e:
        pytest.skip(f"cannot hard-link the binary into the rootfs: {e}")
    exe_hook(b, outdir)
    run(runtime, b)
    assert parent_exe(outdir) == "/"


def test_target_under_a_mount_seals(runtime, make_bundle, outdir, tmp_path):
    hostbin = tmp_path / "hostbin"
    hostbin.mkdir()
    b = make_bundle(["/opt/hb/busybox", "true"])
    shutil.copy(os.path.join(b.rootfs, "bin", "busybox"), hostbin / "busybox")
    os.makedirs(os.path.join(b.rootfs, "opt", "hb"), exist_ok=True)
    add_bind(b, str(hostbin), dest="/opt/hb", ro=True)
    exe_hook(b, outdir)
    cid, r = run(runtime, b)
    assert r.returncode == 0, r.stderr
    assert parent_exe(outdir) == "/", "a mount target's content is unknown to the parent"


def test_shared_host_pid_namespace_seals(runtime, make_bundle, outdir):
    b = make_bundle(["/bin/true"])
    b.config["linux"]["namespaces"] = [n for n in b.config["linux"]["namespaces"] if n["type"] != "pid"]
    exe_hook(b, outdir)
    cid, r = run(runtime, b)
    assert r.returncode == 0, r.stderr
    assert parent_exe(outdir) == "/"


def test_init_refuses_husk_the_parent_did_not_see(runtime, make_bundle, outdir, tmp_path):
    """$PATH finds nothing under a mount target that does not exist in the
    rootfs, so the parent proves /bin/true and skips the seal; in the
    container the mount puts a hard link of husk first in $PATH.  The init
    checks again with the kernel's resolution and refuses."""
    hb = tmp_path / "hb"
    hb.mkdir()
    try:
        os.link(os.path.realpath(runtime.binary), hb / "true")
    except OSError as e:
        pytest.skip(f"cannot hard-link the binary: {e}")
    b = make_bundle(["true"])
    b.config["process"]["env"] = ["PATH=/opt/hb:/bin"]
    add_bind(b, str(hb), dest="/opt/hb", ro=True)
    cid, r = run(runtime, b)
    assert_failed(r, "refusing", "CVE-2019-5736")
    assert_nothing_left(runtime, cid, b)
