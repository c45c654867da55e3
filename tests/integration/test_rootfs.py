"""The container filesystem seen from inside a real container: mounts,
devices, masked and read-only paths, bind/tmpfs options, cgroup mount.

Every test runs `RUNTIME run` with a busybox bundle; HUSK_BIN=/usr/sbin/runc
runs the same assertions against runc.
"""
import os
import subprocess

import pytest


def mountinfo(text):
    """mount point -> (per-mount options, fstype, super options) of the top mount."""
    mounts = {}
    for line in text.splitlines():
        left, _, right = line.partition(" - ")
        f = left.split()
        r = right.split()
        if len(f) < 6 or len(r) < 3:
            continue
        mounts[f[4]] = (set(f[5].split(",")), r[0], set(r[2].split(",")))
    return mounts


def run(runtime, bundle, *extra):
    cid = runtime.new_id("rootfs")
    return runtime.run("run", *extra, "--bundle", bundle.path, cid)


def run_ok(runtime, make_bundle, args, config_edit=None, extra=()):
    b = make_bundle(args=args)
    if config_edit:
        config_edit(b)
        b.save()
    r = run(runtime, b, *extra)
    assert r.returncode == 0, f"rc={r.returncode} stdout={r.stdout!r} stderr={r.stderr!r}"
    return r.stdout


def test_default_mounts(runtime, make_bundle):
    m = mountinfo(run_ok(runtime, make_bundle, ["cat", "/proc/self/mountinfo"]))
    assert m["/"][0] >= {"ro"}  # root.readonly
    assert m["/proc"][1] == "proc"
    assert m["/dev"][1] == "tmpfs" and "nosuid" in m["/dev"][0]
    assert m["/dev/pts"][1] == "devpts" and {"nosuid", "noexec"} <= m["/dev/pts"][0]
    assert "ptmxmode=666" in m["/dev/pts"][2] and "gid=5" in m["/dev/pts"][2]
    assert m["/dev/shm"][1] == "tmpfs" and {"nosuid", "noexec", "nodev"} <= m["/dev/shm"][0]
    assert m["/dev/mqueue"][1] == "mqueue"
    assert m["/sys"][1] == "sysfs" and "ro" in m["/sys"][0]
    assert "/sys/fs/cgroup" in m


def test_default_devices(runtime, make_bundle):
    out = run_ok(runtime, make_bundle, ["stat", "-c", "%n %F %t:%T %a %u:%g", "/dev/null", "/dev/zero",
                                        "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty"])
    want = {"/dev/null": "1:3", "/dev/zero": "1:5", "/dev/full": "1:7", "/dev/random": "1:8",
            "/dev/urandom": "1:9", "/dev/tty": "5:0"}
    got = {}
    for line in out.splitlines():
        name, rest = line.split(" ", 1)
        got[name] = rest
    for name, nums in want.items():
        assert got[name] == f"character special file {nums} 666 0:0", (name, got.get(name))


def test_dev_links(runtime, make_bundle):
    out = run_ok(runtime, make_bundle, ["sh", "-c", "for l in fd stdin stdout stderr ptmx; do "
                                                    "echo $l=$(readlink /dev/$l); done"])
    links = dict(line.split("=", 1) for line in out.splitlines())
    assert links == {"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0", "stdout": "/proc/self/fd/1",
                     "stderr": "/proc/self/fd/2", "ptmx": "pts/ptmx"}


def test_masked_paths(runtime, make_bundle):
    script = ("for f in /proc/keys /proc/timer_list; do [ -e $f ] && echo $f=$(stat -c '%t:%T' $f)"
              ":$(wc -c < $f); done; echo fw=$(ls -A /sys/firmware | wc -l); touch /sys/firmware/x 2>&1;"
              "grep -q ' /sys/firmware ' /proc/self/mountinfo && echo fw-mounted")
    out = run_ok(runtime, make_bundle, ["sh", "-c", script])
    assert "/proc/keys=1:3:0" in out
    assert "fw=0" in out and "Read-only file system" in out and "fw-mounted" in out


def test_readonly_paths(runtime, make_bundle):
    out = run_ok(runtime, make_bundle, ["sh", "-c", "echo x > /proc/sys/kernel/domainname; "
                                                    "cat /proc/sys/kernel/ostype; cat /proc/self/mountinfo"])
    assert "Linux" in out  # still readable procfs
    m = mountinfo(out)
    assert m["/proc/sys"][1] == "proc" and "ro" in m["/proc/sys"][0]


def test_readonly_paths_error(runtime, make_bundle):
    b = make_bundle(args=["sh", "-c", "echo x > /proc/sys/kernel/domainname"])
    r = run(runtime, b)
    assert r.returncode != 0
    assert "Read-only file system" in r.stdout + r.stderr


def test_root_readonly(runtime, make_bundle):
    out = run_ok(runtime, make_bundle, ["sh", "-c", "touch /newfile 2>&1; touch /dev/shm/ok && echo shm-ok"])
    assert "Read-only file system" in out and "shm-ok" in out


def test_root_writable(runtime, make_bundle):
    def edit(b):
        b.config["root"]["readonly"] = False
    out = run_ok(runtime, make_bundle, ["sh", "-c", "touch /newfile && echo written"], edit)
    assert "written" in out


def test_bind_mounts_and_options(runtime, make_bundle, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "f").write_text("hello\n")
    conf = tmp_path / "hostfile.conf"
    conf.write_text("conf\n")

    def edit(b):
        b.config["mounts"] += [
            {"destination": "/data", "type": "bind", "source": str(data), "options": ["rbind", "ro", "nosuid"]},
            {"destination": "/datarw", "type": "bind", "source": str(data), "options": ["rbind", "rw"]},
            {"destination": "/etc/hostfile.conf", "source": str(conf), "options": ["bind", "ro"]},
            {"destination": "/run", "type": "tmpfs", "source": "tmpfs", "options": ["nodev"]},
            {"destination": "/new/dir", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]},
        ]
    script = ("cat /data/f /etc/hostfile.conf; (echo x > /data/f) 2>&1; (echo x > /etc/hostfile.conf) 2>&1;"
              "echo y > /datarw/g && echo rw-ok; [ -f /etc/hostfile.conf ] && echo is-file;"
              "cat /proc/self/mountinfo")
    out = run_ok(runtime, make_bundle, ["sh", "-c", script], edit)
    assert "hello" in out and "conf" in out and "rw-ok" in out and "is-file" in out
    assert out.count("Read-only file system") == 2
    assert (data / "g").read_text() == "y\n"
    m = mountinfo(out)
    assert {"ro", "nosuid"} <= m["/data"][0]
    assert "ro" not in m["/datarw"][0]
    assert "ro" in m["/etc/hostfile.conf"][0]
    assert m["/run"][1] == "tmpfs" and "nodev" in m["/run"][0]
    assert m["/new/dir"][1] == "tmpfs"


def test_tmpfs_mode_option(runtime, make_bundle):
    """mode= wins over the mode of the directory underneath (runc 1.1.5
    fails this: it copies the old directory's 755 over the tmpfs)."""
    def edit(b):
        b.config["mounts"] += [
            {"destination": "/run", "type": "tmpfs", "source": "tmpfs", "options": ["mode=700"]},
            {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]},
        ]
    out = run_ok(runtime, make_bundle, ["stat", "-c", "%n=%a", "/run", "/tmp"], edit)
    # Without mode=, the tmpfs takes the mode of the directory it covers.
    assert "/run=700" in out and "/tmp=1777" in out


def test_cgroup_mount(runtime, make_bundle):
    script = ("ls /sys/fs/cgroup; touch /sys/fs/cgroup/memory/x /sys/fs/cgroup/x 2>&1;"
              "cat /proc/self/mountinfo")
    out = run_ok(runtime, make_bundle, ["sh", "-c", script])
    m = mountinfo(out)
    if os.path.exists("/sys/fs/cgroup/memory"):  # v1 or hybrid host
        assert m["/sys/fs/cgroup/memory"][1] == "cgroup"
        assert "ro" in m["/sys/fs/cgroup/memory"][0]
        assert "memory" in out.split()
        assert "touch: /sys/fs/cgroup/memory/x: Read-only file system" in out
    else:
        assert m["/sys/fs/cgroup"][1] == "cgroup2"
    assert "touch: /sys/fs/cgroup/x:" in out  # no new file (husk: read-only; runc: permission)


def test_linux_devices(runtime, make_bundle):
    def edit(b):
        b.config["linux"]["devices"] = [
            {"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229, "fileMode": 0o600, "uid": 1000,
             "gid": 1001},
            {"path": "/dev/sub/kmsg", "type": "c", "major": 1, "minor": 11},
        ]
    out = run_ok(runtime, make_bundle, ["stat", "-c", "%n %F %t:%T %a %u:%g", "/dev/fuse", "/dev/sub/kmsg"], edit)
    assert "/dev/fuse character special file a:e5 600 1000:1001" in out
    assert "/dev/sub/kmsg character special file 1:b" in out


def test_no_pivot(runtime, make_bundle):
    out = run_ok(runtime, make_bundle, ["sh", "-c", "ls /; stat -c '%t:%T' /dev/null"], extra=("--no-pivot",))
    assert "bin" in out.split() and "1:3" in out


def test_mount_error_names_the_mount(runtime, make_bundle):
    b = make_bundle(args=["true"])
    b.config["mounts"].append({"destination": "/mnt/weird", "type": "nosuchfs", "source": "weird"})
    b.save()
    r = run(runtime, b)
    assert r.returncode != 0
    err = r.stdout + r.stderr
    assert "/mnt/weird" in err and "weird" in err


def test_no_mount_left_on_host(runtime, make_bundle):
    b = make_bundle(args=["true"])
    assert run(runtime, b).returncode == 0
    with open("/proc/self/mountinfo") as f:
        assert b.path not in f.read()


def test_bind_source_relative_to_bundle(runtime, make_bundle):
    """A relative bind source names a path in the bundle directory."""
    def edit(b):
        os.mkdir(os.path.join(b.path, "volume"))
        with open(os.path.join(b.path, "volume", "hello"), "w") as f:
            f.write("from the bundle\n")
        b.config["mounts"].append({"destination": "/vol", "type": "bind", "source": "volume",
                                   "options": ["rbind", "ro"]})
    out = run_ok(runtime, make_bundle, ["cat", "/vol/hello"], edit)
    assert out == "from the bundle\n"


@pytest.mark.parametrize("prop,want", [("rshared", "shared:"), ("rprivate", None), ("rslave", None)])
def test_rootfs_propagation(runtime, make_bundle, prop, want):
    """linux.rootfsPropagation is what "/" ends up with inside (runc 1.1.5
    fails the rshared case: its pivot leaves "/" private)."""
    def edit(b):
        b.config["linux"]["rootfsPropagation"] = prop
    out = run_ok(runtime, make_bundle, ["cat", "/proc/self/mountinfo"], edit)
    root = [line for line in out.splitlines() if line.split()[4] == "/"][0]
    if want:
        assert want in root
    else:
        assert "shared:" not in root


def test_rootfs_propagation_invalid(runtime, make_bundle):
    b = make_bundle(args=["true"])
    b.config["linux"]["rootfsPropagation"] = "sideways"
    b.save()
    r = run(runtime, b)
    assert r.returncode != 0
    assert "sideways" in r.stderr
