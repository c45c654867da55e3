"""Namespaces observed from inside the container."""
import os
import subprocess
import uuid

import pytest

from helpers import IP, assert_failed, assert_nothing_left, husk_only, sh

KINDS = {"pid": "pid", "network": "net", "ipc": "ipc", "uts": "uts", "mount": "mnt",
         "cgroup": "cgroup", "user": "user", "time": "time"}


def inside_ns(runtime, b):
    """{proc ns name: link} as the container's process sees /proc/self/ns."""
    names = " ".join(KINDS.values())
    sh(b, f"for n in {names}; do echo $n $(readlink /proc/self/ns/$n); done")
    cid = runtime.new_id()
    r = runtime.run("run", "--bundle", b.path, cid)
    assert r.returncode == 0, r.stderr
    return dict(l.split(" ", 1) for l in r.stdout.splitlines())


def host_ns(name):
    return os.readlink(f"/proc/self/ns/{name}")


def userns_bundle(make_bundle, base=100000, size=65536):
    b = make_bundle()
    c = b.config
    c["linux"]["namespaces"].append({"type": "user"})
    c["linux"]["uidMappings"] = [{"containerID": 0, "hostID": base, "size": size}]
    c["linux"]["gidMappings"] = [{"containerID": 0, "hostID": base, "size": size}]
    # cgroup v1 hierarchies can't be mounted from a user namespace
    c["mounts"] = [m for m in c["mounts"] if m["destination"] != "/sys/fs/cgroup"]
    b.save()
    return b


def test_default_namespaces_are_new(runtime, make_bundle):
    b = make_bundle()
    ns = inside_ns(runtime, b)
    for kind in ("pid", "net", "ipc", "uts", "mnt"):
        assert ns[kind] != host_ns(kind), f"{kind} namespace is the host's"
    # Not asked for: shared with the host.
    for kind in ("user", "cgroup", "time"):
        assert ns[kind] == host_ns(kind), f"{kind} namespace should be the host's"


def test_no_namespaces_requested_shares_host(runtime, make_bundle):
    b = make_bundle()
    b.config["linux"]["namespaces"] = [{"type": "mount"}]
    del b.config["hostname"]
    b.save()
    ns = inside_ns(runtime, b)
    assert ns["mnt"] != host_ns("mnt")
    for kind in ("pid", "net", "ipc", "uts"):
        assert ns[kind] == host_ns(kind), kind


def test_pid_namespace_pid1(runtime, make_bundle):
    b = make_bundle()
    sh(b, "echo $$; ps -o pid,comm | wc -l")
    r = runtime.run("run", "--bundle", b.path, runtime.new_id())
    assert r.returncode == 0, r.stderr
    out = r.stdout.split()
    assert out[0] == "1"
    assert int(out[1]) <= 5  # header, sh, ps, wc: no host processes visible


def test_network_namespace_only_loopback(runtime, make_bundle):
    b = make_bundle()
    sh(b, "ls /sys/class/net")
    r = runtime.run("run", "--bundle", b.path, runtime.new_id())
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["lo"]


def test_cgroup_namespace(runtime, make_bundle):
    b = make_bundle()
    b.config["linux"]["namespaces"].append({"type": "cgroup"})
    b.save()
    ns = inside_ns(runtime, b)
    assert ns["cgroup"] != host_ns("cgroup")
    sh(b, "cat /proc/self/cgroup")
    r = runtime.run("run", "--bundle", b.path, runtime.new_id())
    assert r.returncode == 0, r.stderr
    for line in r.stdout.splitlines():
        assert line.split(":", 2)[2] == "/", f"cgroup path not rooted: {line}"


def test_join_network_namespace_by_path(runtime, make_bundle):
    name = f"husk-tests-{uuid.uuid4().hex[:8]}"
    subprocess.run([IP, "netns", "add", name], check=True)
    try:
        path = f"/run/netns/{name}"
        # Give the namespace something recognisable to see from inside.
        subprocess.run([IP, "-n", name, "link", "set", "lo", "up"], check=True)
        subprocess.run([IP, "-n", name, "addr", "add", "127.0.0.42/8", "dev", "lo"], check=True)
        b = make_bundle()
        b.config["linux"]["namespaces"] = [
            {"type": "network", "path": path} if n["type"] == "network" else n
            for n in b.config["linux"]["namespaces"]]
        b.save()
        ns = inside_ns(runtime, b)
        assert ns["net"] == f"net:[{os.stat(path).st_ino}]"
        sh(b, "ip addr show lo")
        r = runtime.run("run", "--bundle", b.path, runtime.new_id())
        assert r.returncode == 0, r.stderr
        assert "127.0.0.42" in r.stdout
    finally:
        subprocess.run([IP, "netns", "delete", name], check=False)


def test_join_uts_and_ipc_of_another_container(runtime, make_bundle):
    a = make_bundle(["sleep", "100"])
    a.config["hostname"] = "shared-uts"
    a.save()
    first = runtime.new_id()
    assert runtime.run("run", "-d", "--bundle", a.path, first).returncode == 0
    import json
    pid = json.loads(runtime.run("state", first).stdout)["pid"]
    b = make_bundle()
    del b.config["hostname"]
    b.config["linux"]["namespaces"] = [
        {"type": n["type"], "path": f"/proc/{pid}/ns/{KINDS[n['type']]}"}
        if n["type"] in ("uts", "ipc") else n for n in b.config["linux"]["namespaces"]]
    b.save()
    ns = inside_ns(runtime, b)
    assert ns["uts"] == os.readlink(f"/proc/{pid}/ns/uts")
    assert ns["ipc"] == os.readlink(f"/proc/{pid}/ns/ipc")
    sh(b, "hostname")
    r = runtime.run("run", "--bundle", b.path, runtime.new_id())
    assert r.stdout.strip() == "shared-uts"


def test_user_namespace_mappings(runtime, make_bundle):
    b = userns_bundle(make_bundle)
    sh(b, "id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map; readlink /proc/self/ns/user")
    r = runtime.run("run", "--bundle", b.path, runtime.new_id())
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "0" and lines[1] == "0"
    assert lines[2].split() == ["0", "100000", "65536"]
    assert lines[3].split() == ["0", "100000", "65536"]
    assert lines[4] != host_ns("user")


def test_user_namespace_process_is_mapped_on_host(runtime, make_bundle):
    b = userns_bundle(make_bundle, base=200000, size=1000)
    b.config["process"]["args"] = ["sleep", "100"]
    b.config["process"]["user"] = {"uid": 7, "gid": 8}
    b.save()
    cid = runtime.new_id()
    r = runtime.run("run", "-d", "--bundle", b.path, cid)
    assert r.returncode == 0, r.stderr
    import json
    pid = json.loads(runtime.run("state", cid).stdout)["pid"]
    with open(f"/proc/{pid}/status") as f:
        st = {l.split(":")[0]: l.split()[1:] for l in f}
    assert st["Uid"][0] == "200007"
    assert st["Gid"][0] == "200008"


def test_user_namespace_multiple_ranges(runtime, make_bundle):
    b = userns_bundle(make_bundle)
    b.config["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 300000, "size": 10},
                                        {"containerID": 1000, "hostID": 301000, "size": 10}]
    b.config["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 300000, "size": 10},
                                        {"containerID": 1000, "hostID": 301000, "size": 10}]
    b.save()
    sh(b, "cat /proc/self/uid_map; cat /proc/self/gid_map")
    r = runtime.run("run", "--bundle", b.path, runtime.new_id())
    assert r.returncode == 0, r.stderr
    rows = [l.split() for l in r.stdout.splitlines()]
    assert rows == [["0", "300000", "10"], ["1000", "301000", "10"]] * 2


@husk_only("runc 1.1.5 has no time namespace support")
def test_time_namespace_offsets(runtime, make_bundle):
    b = make_bundle()
    b.config["linux"]["namespaces"].append({"type": "time"})
    days = 10
    b.config["linux"]["timeOffsets"] = {"monotonic": {"secs": days * 86400, "nanosecs": 0},
                                        "boottime": {"secs": days * 86400, "nanosecs": 0}}
    b.save()
    ns = inside_ns(runtime, b)
    assert ns["time"] != host_ns("time")
    sh(b, "cat /proc/uptime")
    with open("/proc/uptime") as f:
        host_up = float(f.read().split()[0])
    r = runtime.run("run", "--bundle", b.path, runtime.new_id())
    assert r.returncode == 0, r.stderr
    inside_up = float(r.stdout.split()[0])
    assert inside_up - host_up >= days * 86400 - 5, (inside_up, host_up)
    assert inside_up - host_up < days * 86400 + 60


def test_mount_namespace_isolated(runtime, make_bundle):
    b = make_bundle()
    b.config["mounts"].append({"destination": "/mnt", "type": "tmpfs", "source": "tmpfs",
                               "options": ["size=1m"]})
    b.save()
    sh(b, "grep ' /mnt ' /proc/self/mounts")
    r = runtime.run("run", "--bundle", b.path, runtime.new_id())
    assert r.returncode == 0 and "tmpfs" in r.stdout, r.stderr
    with open("/proc/self/mounts") as f:
        assert b.rootfs not in f.read(), "container mount visible on the host"


def test_new_user_namespace_with_joined_netns(runtime, make_bundle):
    """Ordering: the host-owned netns is joined before the new user namespace
    is created (from inside it, setns would be refused)."""
    name = f"husk-tests-{uuid.uuid4().hex[:8]}"
    subprocess.run([IP, "netns", "add", name], check=True)
    try:
        path = f"/run/netns/{name}"
        b = userns_bundle(make_bundle)
        b.config["linux"]["namespaces"] = [
            {"type": "network", "path": path} if n["type"] == "network" else n
            for n in b.config["linux"]["namespaces"]]
        # sysfs can't be mounted for a netns the user namespace doesn't own
        b.config["mounts"] = [m for m in b.config["mounts"] if m["type"] != "sysfs"]
        b.save()
        ns = inside_ns(runtime, b)
        assert ns["net"] == f"net:[{os.stat(path).st_ino}]"
        assert ns["user"] != host_ns("user")
    finally:
        subprocess.run([IP, "netns", "delete", name], check=False)
