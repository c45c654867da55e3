"""Mount-related container escapes, each named after its CVE. A hostile
rootfs (symlinks in place of mount points, a fake /dev/null) must never
get a mount or a directory placed on the host, nor a procfs file exposed
where a mask was asked for.

HUSK_BIN=/usr/sbin/runc runs the same assertions against runc.
"""
import os
import subprocess

import pytest


def run(runtime, bundle, *extra):
    cid = runtime.new_id("cve")
    return runtime.run("run", *extra, "--bundle", bundle.path, cid)


def host_mounts():
    with open("/proc/self/mountinfo") as f:
        return f.read()


@pytest.mark.parametrize("inside", [True, False], ids=["target-inside", "dangling"])
def test_cve_2021_30465_symlink_mount_target(runtime, make_bundle, tmp_path, inside):
    """Mount targets reached through symlinks pointing out of the rootfs
    (relative ../../.., absolute host path) resolve inside the rootfs; when
    the path they name does not exist inside, husk refuses (runc 1.1.5
    creates it inside). Never does anything land on the host."""
    host = tmp_path / "host-target"
    host.mkdir()
    b = make_bundle(args=["sh", "-c", f"stat -f -c '%T' {host}/rel {host}/abs; cat /proc/self/mountinfo"])
    depth = "../" * 12
    os.symlink(depth + str(host).lstrip("/"), os.path.join(b.rootfs, "rel"))
    os.symlink(str(host), os.path.join(b.rootfs, "abs"))
    if inside:
        os.makedirs(os.path.join(b.rootfs, str(host).lstrip("/")))
    b.config["mounts"] += [
        {"destination": "/rel/rel", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]},
        {"destination": "/abs/abs", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]},
    ]
    b.save()
    r = run(runtime, b)
    assert not (host / "rel").exists() and not (host / "abs").exists()
    assert str(host) + "/rel" not in host_mounts()
    if inside:
        assert r.returncode == 0, r.stderr
    if r.returncode == 0:
        assert r.stdout.split()[:2] == ["tmpfs", "tmpfs"]
        assert os.path.isdir(os.path.join(b.rootfs, str(host).lstrip("/"), "rel"))
    else:
        assert "/rel/rel" in r.stderr


def test_cve_2021_30465_symlink_bind_target(runtime, make_bundle, tmp_path):
    """A bind mount whose target path goes through a symlink to "/"."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "file").write_text("data\n")
    victim = tmp_path / "victim"
    victim.mkdir()
    b = make_bundle(args=["cat", f"{victim}/file"])
    os.symlink("/", os.path.join(b.rootfs, "up"))
    b.config["mounts"].append({"destination": f"/up/../../../{victim}", "source": str(src),
                               "options": ["rbind", "ro"]})
    b.save()
    r = run(runtime, b)
    assert not (victim / "file").exists()
    assert str(victim) not in host_mounts()
    if r.returncode == 0:
        assert r.stdout == "data\n"


def test_cve_2019_19921_proc_symlink(runtime, make_bundle):
    """/proc replaced by a symlink must not carry the proc mount elsewhere."""
    b = make_bundle(args=["true"])
    os.rmdir(os.path.join(b.rootfs, "proc"))
    os.symlink("etc", os.path.join(b.rootfs, "proc"))
    r = run(runtime, b)
    assert r.returncode != 0
    assert "proc" in r.stderr
    assert not os.path.ismount(os.path.join(b.rootfs, "etc"))


def test_cve_2019_16884_mount_over_procfs(runtime, make_bundle, tmp_path):
    """Nothing may cover a procfs file such as /proc/self/attr/exec (it
    would defeat the LSM profile written there)."""
    fake = tmp_path / "fake"
    fake.write_text("unconfined\n")
    b = make_bundle(args=["true"])
    b.config["mounts"].append({"destination": "/proc/self/attr/exec", "source": str(fake),
                               "options": ["bind", "ro"]})
    b.save()
    r = run(runtime, b)
    assert r.returncode != 0
    assert "/proc" in r.stderr


def test_cve_2019_16884_mount_over_proc_itself(runtime, make_bundle, tmp_path):
    """Only a procfs may be mounted on /proc."""
    fakeproc = tmp_path / "fakeproc"
    fakeproc.mkdir()
    b = make_bundle(args=["true"])
    b.config["mounts"].append({"destination": "/proc", "source": str(fakeproc), "options": ["rbind"]})
    b.save()
    r = run(runtime, b)
    assert r.returncode != 0
    assert "/proc" in r.stderr


@pytest.mark.parametrize("kind", ["symlink", "regular"])
def test_cve_2025_31133_masked_path_fake_devnull(runtime, make_bundle, tmp_path, kind):
    """maskedPaths binds the container's /dev/null over files; a /dev/null
    that is a symlink to a procfs file (or not a device at all) must be
    refused, never mounted over the masked path. runc 1.1.5 (Debian 12)
    predates the fix and fails this test."""
    dev = tmp_path / "fakedev"
    dev.mkdir()
    if kind == "symlink":
        os.symlink("/proc/sys/kernel/core_pattern", dev / "null")
    else:
        (dev / "null").write_text("not a device\n")
    b = make_bundle(args=["sh", "-c", "stat -c '%F %t:%T' /proc/keys; cat /proc/keys | head -c 64"])
    b.config["mounts"] = [m for m in b.config["mounts"] if m["destination"] != "/dev"]
    b.config["mounts"].insert(1, {"destination": "/dev", "type": "bind", "source": str(dev),
                                  "options": ["rbind"]})
    b.save()
    with open("/proc/sys/kernel/core_pattern") as f:
        before = f.read()
    r = run(runtime, b)
    with open("/proc/sys/kernel/core_pattern") as f:
        assert f.read() == before
    if r.returncode == 0:
        # Masked for real: the null device, empty.
        assert r.stdout.startswith("character special file 1:3"), r.stdout
    else:
        assert "/dev/null" in r.stderr


def test_masked_path_through_symlink_stays_inside(runtime, make_bundle):
    """A masked path whose parent is a symlink to "/" masks the container's
    file, not anything of the host."""
    b = make_bundle(args=["sh", "-c", "stat -c '%t:%T' /etc/hostname; cat /etc/hostname"])
    os.symlink("/", os.path.join(b.rootfs, "loop"))
    b.config["linux"]["maskedPaths"].append("/loop/../../etc/hostname")
    b.save()
    r = run(runtime, b)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "1:3\n"
