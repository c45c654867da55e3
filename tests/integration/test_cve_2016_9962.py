"""CVE-2016-9962: while `runc exec` entered the container, its process
there was dumpable and held host fds: a container process could ptrace it
or use its fds.  Here a probe in the container attacks every runtime
process it sees during `exec`: ptrace, listing /proc/PID/fd, reading
/proc/PID/cwd.  All must fail while the process is still the runtime.
"""
from security_helpers import CopiedRuntime, fields, probe_bundle, start_detached, stop_probe



def test_cve_2016_9962_exec_process_not_ptraceable(tmp_path, make_bundle):
    rt = CopiedRuntime(str(tmp_path))
    try:
        b = probe_bundle(make_bundle, 9962)
        cid = rt.new_id("security-9962")
        start_detached(rt, b, cid, str(tmp_path / "container.log"))
        for _ in range(20):
            r = rt.run("exec", cid, "true")
            assert r.returncode == 0, r.stderr
        attempts = [fields(line) for line in stop_probe(rt, b, cid)]
        assert attempts, "the probe never saw a runtime process inside the container"
        for a in attempts:
            # The probe froze the process and checked it is still the
            # runtime (not yet the container's command) before each step.
            assert a["ptrace"] != "ok", a
            assert a["fds_opened"].startswith("0/"), a
            assert not a["cwd"].startswith("ok"), a
    finally:
        rt.cleanup()
