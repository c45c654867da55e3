"""CVE-2019-5736: a container process overwrites the runtime binary
through /proc/<runtime pid>/exe while the runtime enters the container.

The attack as published: the container's /bin/evil is "#!/proc/self/exe",
so `exec <id> /bin/evil` makes the kernel run the runtime binary itself
inside the container; a process there opens /proc/PID/exe with O_PATH,
waits for it to exit and reopens the handle for writing.  The runtime
runs from a private copy, so a successful attack damages only the copy.

On kernel 6.18 executing /proc/self/exe from inside the container fails
with ENOENT for runc and husk alike, so the probe's targets are the
runtime's own exec processes while they are in the container (the window
the CVE's race uses too); those are non-dumpable, so the attack stops at
opening /proc/PID/exe.  The seal itself (EROFS/EPERM on the reopened
handle) is shown by tests/unit/test_sealed.c.
"""
import os

from security_helpers import CopiedRuntime, fields, probe_bundle, start_detached, stop_probe


def test_cve_2019_5736_runtime_binary_not_writable(tmp_path, make_bundle):
    rt = CopiedRuntime(str(tmp_path))
    try:
        b = probe_bundle(make_bundle, 5736)
        evil = os.path.join(b.rootfs, "bin", "evil")
        with open(evil, "w") as f:
            f.write("#!/proc/self/exe\n")
        os.chmod(evil, 0o755)
        cid = rt.new_id("security-5736")
        start_detached(rt, b, cid, str(tmp_path / "container.log"))
        for _ in range(10):
            rt.run("exec", cid, "/bin/evil")
            rt.run("exec", cid, "true")
        attempts = [fields(line) for line in stop_probe(rt, b, cid)]
        assert rt.intact(), f"the runtime binary was overwritten: {attempts}"
        # The test only proves something if the probe saw the runtime.
        assert attempts, "the probe never saw a runtime process inside the container"
        for a in attempts:
            assert a.get("write") != "ok", a
            assert a.get("reopen_write") in (None, "EROFS", "EACCES", "EPERM", "ETXTBSY"), a
    finally:
        rt.cleanup()
