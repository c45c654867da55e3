"""CVE-2025-52881: the runtime's writes to procfs (sysctl, oom_score_adj,
LSM attributes) can be redirected by mounts the container config (or a
hostile image racing the setup) places over /proc files: runc wrote the
sysctl value into whatever was mounted there (in the advisory, a bind of
/proc/sysrq-trigger).  Here a harmless decoy file is bind-mounted over
the sysctl files the config sets; the write must land in the real sysctl
or be refused, never in the decoy.
"""
import os

import pytest

SYSCTLS = {
    "kernel.domainname": "/proc/sys/kernel/domainname",
    "net.ipv4.ip_forward": "/proc/sys/net/ipv4/ip_forward",
}


@pytest.mark.parametrize("key", sorted(SYSCTLS))
def test_cve_2025_52881_sysctl_not_redirected(runtime, make_bundle, tmp_path, key):
    decoy = tmp_path / "decoy"
    decoy.write_text("decoy\n")
    b = make_bundle(args=["cat", SYSCTLS[key]])
    b.config["mounts"].append({"destination": SYSCTLS[key], "type": "bind",
                               "source": str(decoy), "options": ["bind", "rw"]})
    value = "husk-52881" if key == "kernel.domainname" else "1"
    b.config["linux"]["sysctl"] = {key: value}
    b.save()
    cid = runtime.new_id("security-52881")
    r = runtime.run("run", "--bundle", b.path, cid)
    assert decoy.read_text() == "decoy\n", (
        f"the {key} write went into the file mounted over {SYSCTLS[key]}: {r.stderr}")
    # Either refused with an error, or applied to the real sysctl.
    assert r.returncode != 0 or r.stdout.strip() in ("decoy", value), (r.stdout, r.stderr)


def test_cve_2025_52881_overmounted_proc_self_attr(runtime, make_bundle, tmp_path):
    """With a label asked for, the attr write must not follow a mount over
    /proc/self/attr/exec (here: no LSM, so the runtime must fail clearly,
    and in no case write the decoy)."""
    decoy = tmp_path / "decoy"
    decoy.write_text("decoy\n")
    b = make_bundle(args=["true"])
    b.config["mounts"].append({"destination": "/proc/self/attr/exec", "type": "bind",
                               "source": str(decoy), "options": ["bind", "rw"]})
    b.config["process"]["apparmorProfile"] = "husk-52881"
    b.save()
    cid = runtime.new_id("security-52881")
    runtime.run("run", "--bundle", b.path, cid)
    assert decoy.read_text() == "decoy\n"
    assert os.path.exists(decoy)


def test_cve_2025_52881_fake_proc(runtime, make_bundle, tmp_path):
    """/proc in the container is not procfs at all but a bind of a
    directory the attacker controls (with a fake sys/kernel/domainname)."""
    fake = tmp_path / "fakeproc"
    (fake / "sys" / "kernel").mkdir(parents=True)
    decoy = fake / "sys" / "kernel" / "domainname"
    decoy.write_text("decoy\n")
    b = make_bundle(args=["true"])
    b.config["mounts"] = [m for m in b.config["mounts"] if m["destination"] != "/proc"]
    b.config["mounts"].insert(0, {"destination": "/proc", "type": "bind", "source": str(fake),
                                  "options": ["rbind", "rw"]})
    b.config["linux"]["sysctl"] = {"kernel.domainname": "husk-52881"}
    b.config["linux"].pop("maskedPaths", None)
    b.config["linux"].pop("readonlyPaths", None)
    b.save()
    cid = runtime.new_id("security-52881")
    r = runtime.run("run", "--bundle", b.path, cid)
    assert decoy.read_text() == "decoy\n", r.stderr
