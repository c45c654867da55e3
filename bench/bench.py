#!/usr/bin/python3
"""The husk benchmark: husk against runc, crun and the floor program.

Called by bench/run.sh, which builds everything and makes the rootfs. Every
measurement is taken by bench/rusage (C: fork/exec/wait4 and a monotonic
clock), so Python's own overhead is outside the timed window. Commands of
one scenario are interleaved (husk runc crun floor husk runc ...) so that
the machine's drift hits every runtime alike; ratios are computed round by
round (husk_i / x_i) and then summarised.

Only the Python standard library is used.
"""
import argparse
import datetime
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import time

RUNTIMES = ("husk", "runc", "crun", "floor", "floor-cg", "floor-vm")
SLEEP_ARGS = ["/bin/sleep", "100000"]


def log(*a):
    print("bench:", *a, file=sys.stderr, flush=True)


class Bench:
    def __init__(self, opts):
        self.o = opts
        self.work = opts.work
        self.rootfs = os.path.join(self.work, "rootfs")
        # Container ids and so cgroup names carry this; run.sh cleans by it too.
        self.tag = "bench-" + os.path.basename(os.path.normpath(self.work)).split(".")[-1]
        self.rusage = os.path.join(opts.bindir, "rusage")
        self.floor = os.path.join(opts.bindir, "floor")
        self.bins = {"husk": opts.husk, "runc": opts.runc, "crun": opts.crun}
        # --variant NAME=PATH: another husk build measured as its own column
        self.variants = []
        for v in opts.variant:
            name, _, path = v.partition("=")
            if not path or name in RUNTIMES:
                raise SystemExit("bench: --variant wants NAME=PATH with a new NAME")
            self.bins[name] = path
            self.variants.append(name)
        self.order = ["husk"] + self.variants + [rt for rt in RUNTIMES if rt != "husk"]
        self.skipped = {}  # runtime -> why
        self.notes = []
        self.spec_source = None
        self.ids = {rt: set() for rt in self.bins}  # containers to clean up
        self.results = {}  # scenario -> rt -> list of (wall_us, rss_kb) or None per round
        self.errors = {}  # (scenario, rt) -> first error message

    # ---------------------------------------------------------------- setup
    def rt_root(self, rt):
        return os.path.join(self.work, "state-" + rt)

    def rt_cmd(self, rt, *args):
        """argv for one runtime command, with crun wrapped by rusage -u."""
        return [self.bins[rt], "--root", self.rt_root(rt)] + list(args)

    def bundle(self, name):
        return os.path.join(self.work, "bundle-" + name)

    def make_spec(self):
        """The base config from husk's `spec`, else runc's (noted)."""
        d = os.path.join(self.work, "spec")
        os.makedirs(d, exist_ok=True)
        for rt in ("husk", "runc"):
            path = os.path.join(d, "config.json")
            if os.path.exists(path):
                os.unlink(path)
            try:
                r = subprocess.run([self.bins[rt], "spec", "--bundle", d], capture_output=True, timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                continue
            if r.returncode == 0 and os.path.exists(path):
                with open(path) as f:
                    try:
                        cfg = json.load(f)
                    except ValueError:
                        continue
                self.spec_source = "%s spec" % rt
                if rt != "husk":
                    self.notes.append("`husk spec` did not work; the bundle's config comes from `runc spec`.")
                return cfg
        raise SystemExit("bench: neither husk spec nor runc spec produced a config")

    def write_bundle(self, name, cfg):
        d = self.bundle(name)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "config.json"), "w") as f:
            json.dump(cfg, f, indent=1)

    def make_bundles(self):
        base = self.make_spec()
        base["process"]["args"] = ["/bin/true"]
        base["process"]["terminal"] = False
        base["root"]["path"] = self.rootfs
        if not base.get("ociVersion", "").startswith("1.0"):
            self.notes.append("The config's ociVersion `%s` is set to `1.0.2-dev` (crun 1.8.1 refuses newer "
                              "versions with \"unknown version specified\")." % base.get("ociVersion"))
            base["ociVersion"] = "1.0.2-dev"
        self.base = base
        self.write_bundle("default", base)
        nonet = json.loads(json.dumps(base))
        nonet["linux"]["namespaces"] = [n for n in nonet["linux"]["namespaces"] if n["type"] != "network"]
        self.write_bundle("nonet", nonet)
        sleep = json.loads(json.dumps(base))
        sleep["process"]["args"] = SLEEP_ARGS
        self.write_bundle("sleep", sleep)
        self.write_bundle("mem", base)
        self.namespaces = [n["type"] for n in base["linux"]["namespaces"]]

    def probe(self):
        """Decide which runtimes take part; a runtime that can't run the bundle is skipped."""
        for rt in ["husk"] + self.variants + ["runc", "crun"]:
            b = self.bins[rt]
            if not (os.path.isfile(b) and os.access(b, os.X_OK)):
                self.skipped[rt] = "`%s` not found" % b
                continue
            os.makedirs(self.rt_root(rt), exist_ok=True)
            cid = "%s-%s-probe" % (self.tag, rt)
            self.ids[rt].add(cid)
            r = self.measure(rt, ["run", "--bundle", self.bundle("default"), cid], timeout=60)
            if r is None:
                self.skipped[rt] = "`%s run` failed on the bundle: %s" % (rt, self.last_err or "no message")
        if not os.access(self.floor, os.X_OK):
            self.skipped["floor"] = self.skipped["floor-cg"] = self.skipped["floor-vm"] = "floor not built"
        self.active = [rt for rt in self.order
                       if rt not in self.skipped and (rt in self.o.runtimes or rt in self.variants)]
        for rt, why in self.skipped.items():
            log("skipping %s: %s" % (rt, why))
        if "husk" in self.active and os.path.exists(os.path.join(self.o.top, "src/container/zz_pending.c")):
            self.notes.append("**This husk build still links development stand-ins** "
                              "(src/container/zz_pending.c) for modules not merged yet (rootfs, capabilities, "
                              "cgroups, seccomp...): it does less work than the others and its numbers are "
                              "not comparable yet.")

    def out_of_time(self):
        return self.o.deadline and time.time() > self.o.deadline

    # ---------------------------------------------------------- measuring
    def measure(self, rt, args, count=1, par=1, floor_args=None, timeout=600, raw=None):
        """Run one timed command under rusage; returns (wall_us, rss_kb) or None.
        args go after `RUNTIME --root DIR`; raw is a whole rusage command sequence."""
        cmd = [self.rusage]
        if count > 1:
            cmd += ["-n", str(count)]
        if par > 1:
            cmd += ["-p", str(par)]
        if rt == "crun":
            cmd.append("-u")
        cmd.append("--")
        if raw:
            cmd += raw
        elif rt == "floor":
            cmd += [self.floor] + (floor_args or []) + [self.rootfs]
        elif rt == "floor-vm":
            cmd += [self.floor, "-V"] + (floor_args or []) + [self.rootfs]
        elif rt == "floor-cg":
            self.cg_seq = getattr(self, "cg_seq", 0) + 1
            cg = "%s-floor-%d" % (self.tag, self.cg_seq)
            cmd += [self.floor, "-c", cg] + (floor_args or []) + [self.rootfs]
        else:
            cmd += self.rt_cmd(rt, *args)
        self.last_err = None
        try:
            r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            self.last_err = "timed out after %ds" % timeout
            return None
        vals = {}
        out = r.stdout.splitlines()
        if out and out[-1].startswith("wall_us="):
            for tok in out.pop().split():
                k, _, v = tok.partition("=")
                vals[k] = v
        if r.returncode != 0 or "wall_us" not in vals:
            err = [l for l in r.stderr.splitlines() + out if l.strip() and not l.startswith("wall_us=")]
            self.last_err = err[-1].strip() if err else "exit status %d" % r.returncode
            return None
        return int(vals["wall_us"]), int(vals["maxrss_kb"]), int(vals.get("cpu_us", 0))

    def cid(self, rt, scen, rnd, suffix=""):
        c = "%s-%s-%s-%d%s" % (self.tag, rt, scen, rnd, suffix)
        if rt in self.ids:
            self.ids[rt].add(c)
        return c

    def scenario(self, name, rounds, step):
        """Interleave: for each round, each active runtime once, in a fixed order."""
        log("scenario %s: %d rounds" % (name, rounds))
        res = {rt: [] for rt in self.active}
        for rnd in range(rounds):
            if self.out_of_time():
                self.notes.append("Time budget reached: \"%s\" stopped after %d of %d rounds." % (name, rnd, rounds))
                break
            # Rotate who goes first, so no runtime always follows the same
            # one, and let the kernel finish what the previous command left
            # to workqueues and RCU (cgroup and namespace teardown) before
            # timing the next: otherwise it lands on whoever runs next.
            k = rnd % len(self.active)
            for rt in self.active[k:] + self.active[:k]:
                if self.o.settle > 0:
                    time.sleep(self.o.settle / 1000.0)
                r = step(rt, rnd)
                if r is False:  # not applicable for this runtime
                    res.pop(rt, None)
                    continue
                if rt in res:
                    res[rt].append(r)
                    if r is None:
                        log("  %s round %d failed: %s" % (rt, rnd, self.last_err))
                        self.errors.setdefault((name, rt), self.last_err)
        self.results[name] = res
        self.cleanup_containers()

    def sc_run(self, bundle, floor_args):
        def step(rt, rnd):
            if rt in ("floor", "floor-cg", "floor-vm"):
                return self.measure(rt, None, floor_args=floor_args)
            return self.measure(rt, ["run", "--bundle", self.bundle(bundle), self.cid(rt, bundle, rnd)])
        return step

    def sc_lifecycle(self, rt, rnd):
        if rt in ("floor-cg", "floor-vm"):
            return False
        if rt == "floor":  # the floor has no separate steps: the same kernel work as one run
            return self.measure(rt, None)
        c = self.cid(rt, "life", rnd)
        b = self.bins[rt]
        root = self.rt_root(rt)
        seq = [b, "--root", root, "create", "--bundle", self.bundle("default"), c, ";",
               b, "--root", root, "start", c, ";", "@wait", ";", b, "--root", root, "delete", c]
        return self.measure(rt, None, raw=seq)

    def sc_many(self, count, par):
        def step(rt, rnd):
            if rt in ("floor-cg", "floor-vm"):
                return False
            if rt == "floor":
                return self.measure(rt, None, count=count, par=par)
            c = self.cid(rt, "n%dp%d" % (count, par), rnd, "-{i}")
            return self.measure(rt, ["run", "--bundle", self.bundle("default"), c], count=count, par=par)
        return step

    def start_floor_container(self):
        """A long-running floor container for the exec row; returns its init pid."""
        self.floor_proc = subprocess.Popen([self.floor, self.rootfs] + SLEEP_ARGS, stdin=subprocess.DEVNULL,
                                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        fp = self.floor_proc.pid
        for _ in range(200):
            try:
                kids = open("/proc/%d/task/%d/children" % (fp, fp)).read().split()
            except OSError:
                kids = []
            if kids:
                time.sleep(0.2)  # let it finish its setup and exec sleep
                self.floor_child = int(kids[0])
                return kids[0]
            time.sleep(0.05)
        return None

    def stop_floor_container(self):
        p = getattr(self, "floor_proc", None)
        if not p:
            return
        try:  # pid 1 of its namespace ignores SIGTERM; it outlives a killed floor
            os.kill(self.floor_child, signal.SIGKILL)
        except (AttributeError, OSError):
            pass
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        self.floor_proc = None

    def sc_exec(self):
        running = {}
        for rt in self.active:
            if rt == "floor":
                pid = self.start_floor_container()
                if pid:
                    running[rt] = pid
                continue
            if rt.startswith("floor"):
                continue
            c = self.cid(rt, "exec", 0)
            pre = ["/usr/bin/env"]
            if rt == "crun":
                pre = [self.rusage, "-u", "--"]
            # The detached container inherits stdio: a file, not a pipe we'd wait on.
            errf = os.path.join(self.work, "exec-%s.err" % rt)
            with open(errf, "w+") as ef:
                r = subprocess.run(pre + self.rt_cmd(rt, "run", "--detach", "--bundle", self.bundle("sleep"), c),
                                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=ef, timeout=60)
                ef.seek(0)
                msg = ef.read().strip()
            if r.returncode == 0:
                running[rt] = c
            else:
                log("exec: could not start a container with %s: %s" % (rt, msg[-200:]))

        def step(rt, rnd):
            if rt not in running:
                return False
            if rt == "floor":
                return self.measure(rt, None, raw=[self.floor, "-e", running[rt]])
            return self.measure(rt, ["exec", running[rt], "/bin/true"])
        return step

    def memory_floor(self, rt):
        """Smallest memory.limit (bytes, 16 KiB steps) at which `run` succeeds."""
        def ok(limit):
            cfg = json.loads(json.dumps(self.base))
            cfg["linux"].setdefault("resources", {})["memory"] = {"limit": limit}
            self.write_bundle("mem", cfg)
            c = self.cid(rt, "mem", limit)
            r = self.measure(rt, ["run", "--bundle", self.bundle("mem"), c], timeout=60)
            self.delete_container(rt, c)
            return r is not None

        step = self.o.mem_step * 1024
        hi = 256 * 1024 * 1024
        if not ok(hi):
            return None, self.last_err
        lo = 0  # lo always fails (a limit of 0 is taken as none by some, so never tried)
        while hi - lo > step and not self.out_of_time():
            mid = (lo + hi) // 2 // step * step
            if mid <= lo:
                break
            if ok(mid):
                hi = mid
            else:
                lo = mid
        return hi, None

    # ------------------------------------------------------------ cleanup
    def delete_container(self, rt, c):
        pre = [self.rusage, "-u", "--"] if rt == "crun" else []
        subprocess.run(pre + self.rt_cmd(rt, "delete", "--force", c), stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)

    def cleanup_containers(self):
        for rt, ids in self.ids.items():
            root = self.rt_root(rt)
            if not os.path.isdir(root):
                ids.clear()
                continue
            left = [d for d in os.listdir(root) if self.tag in d]
            for c in left:
                try:
                    self.delete_container(rt, c)
                except (OSError, subprocess.TimeoutExpired):
                    pass
            ids.clear()
        self.cleanup_cgroups()

    def cleanup_cgroups(self):
        """Remove cgroups named after our containers that a runtime left behind."""
        base = "/sys/fs/cgroup"
        try:
            ctrls = os.listdir(base)
        except OSError:
            return
        for ctrl in ctrls:
            top = os.path.join(base, ctrl)
            if not os.path.isdir(top):
                continue
            for dirpath, dirnames, _ in os.walk(top, topdown=False):
                if self.tag in os.path.basename(dirpath):
                    try:
                        os.rmdir(dirpath)
                    except OSError:
                        pass
                if dirpath.count("/") - top.count("/") > 3:
                    dirnames[:] = []

    # ------------------------------------------------------------- report
    def run_all(self):
        o = self.o
        self.load_before = open("/proc/loadavg").read().split()[:3]
        self.started = datetime.datetime.now(datetime.timezone.utc)
        sc = o.scenarios
        if self.out_of_time():
            self.notes.append("Time budget reached before the first scenario.")
        if "run" in sc:
            self.scenario("run", o.n, self.sc_run("default", []))
        if "run-nonet" in sc:
            self.scenario("run-nonet", o.n, self.sc_run("nonet", ["-N"]))
        if "lifecycle" in sc:
            self.scenario("lifecycle", o.n, self.sc_lifecycle)
        if "seq" in sc:
            self.scenario("seq", o.seq_rounds, self.sc_many(o.seq_count, 1))
        if "par" in sc:
            self.scenario("par", o.par_rounds, self.sc_many(1, o.par_count))
        if "exec" in sc:
            try:
                self.scenario("exec", o.n, self.sc_exec())
            finally:
                self.stop_floor_container()
        self.memlimits = {}
        if "mem" in sc:
            for rt in self.active:
                if rt.startswith("floor") or self.out_of_time():
                    continue
                log("memory limit bisection: %s" % rt)
                self.memlimits[rt] = self.memory_floor(rt)
            self.cleanup_containers()
        self.load_after = open("/proc/loadavg").read().split()[:3]
        self.finished = datetime.datetime.now(datetime.timezone.utc)


def fmt_ms(us):
    return "%.1f" % (us / 1000.0) if us < 100000 else "%.0f" % (us / 1000.0)


def summary(vals):
    return statistics.median(vals), min(vals), max(vals)


def version(cmd):
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
        return r.stdout.strip().splitlines()[0] if r.stdout.strip() else "?"
    except (OSError, subprocess.TimeoutExpired):
        return "?"


SCEN_LABEL = {
    "run": "`run` /bin/true (default spec namespaces)",
    "run-nonet": "`run` without network namespace",
    "lifecycle": "create + start + wait + delete",
    "seq": "%d containers in sequence",
    "par": "%d containers at once",
    "exec": "`exec ID /bin/true` into a running container",
}


def report(b, o):
    """Markdown report; returns (text, summary dict)."""
    active = b.active
    L = []
    cpu = "?"
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = next((int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal")), 0)
    L.append("# Benchmarks: husk against runc, crun and the floor\n")
    L.append("Generated by `bench/run.sh%s` on %s UTC (%.0f s).\n" % (
        " --quick" if o.quick else "", b.started.strftime("%Y-%m-%d %H:%M"),
        (b.finished - b.started).total_seconds()))
    if o.quick:
        L.append("**Quick mode**: only a few rounds per scenario; the numbers are a smoke test, not a measurement.\n")
    L.append("Reproduce: `sudo bench/run.sh` (5 to 15 minutes with the machine's load; `-n N` for N rounds, "
             "`--quick` for a smoke run, "
             "`bench/ci-quick.sh` for CI). Requires runc, crun, busybox-static, python3.\n")
    L.append("## Machine and versions\n")
    L.append("| | |\n|---|---|")
    L.append("| machine | %s, %d CPUs (nproc), %.1f GiB RAM |" % (cpu, os.cpu_count(), mem_kb / 1048576))
    L.append("| kernel | %s |" % platform.release())
    L.append("| load (1/5/15 min) | before %s; after %s (includes the benchmark's own parallel rows) |"
             % (" ".join(b.load_before), " ".join(b.load_after)))
    husk_v = subprocess.run(["git", "describe", "--always", "--dirty"], capture_output=True, text=True).stdout.strip()
    L.append("| husk | `%s` (git %s) |" % (os.path.relpath(o.husk, o.top), husk_v or "?"))
    L.append("| runc | %s |" % version([o.runc, "--version"]))
    L.append("| crun | %s |" % version([o.crun, "--version"]))
    L.append("| bundle | busybox-static rootfs (scripts/make-rootfs.sh), config from `%s`, args `/bin/true`, "
             "terminal false; namespaces: %s |" % (b.spec_source, ", ".join(b.namespaces)))
    L.append("")
    # The load after the run includes the benchmark's own parallel rows; only the load before tells of others.
    if float(b.load_before[0]) > os.cpu_count():
        L.append("**The machine was loaded** when this run started (1-minute load %s on %d CPUs, other work "
                 "running): wall times are inflated and spread; the CPU-time table is the steadier comparison.\n"
                 % (b.load_before[0], os.cpu_count()))
    L.append("## Method\n")
    L.append("- Every command is timed by `bench/rusage` (fork, execve, wait4, CLOCK_MONOTONIC), so the harness's "
             "own cost is outside the window; peak RSS is wait4's `ru_maxrss` for the runtime process "
             "(Linux folds in the largest reaped descendant, e.g. `runc init`).")
    L.append("- Within a scenario the runtimes are interleaved (%s, %s, ...), one round at a time, so drift on "
             "this shared machine hits all alike; the order rotates every round, and each timed command starts "
             "%g ms after the previous one ended (`--settle`), so that the kernel's asynchronous teardown of the "
             "previous container (cgroup offlining, namespace cleanup, RCU callbacks) is not billed to the next "
             "runtime. Ratios are computed round by round (husk_i / x_i) and their median is shown, not the ratio "
             "of medians." % (" ".join(active), " ".join(active), o.settle))
    L.append("- Cells are `median (min–max)` in milliseconds over the rounds given in each row; a round of the "
             "N-in-sequence or N-at-once rows is one timing of all N containers.")
    L.append("- **crun**: crun 1.8.1 refuses this machine's hybrid cgroup layout (\"cgroups in hybrid mode not "
             "supported\"), so each crun command runs in a private mount namespace where `/sys/fs/cgroup/unified` "
             "is hidden under a tmpfs (`rusage -u`: unshare + mount done *before* the clock starts). husk, runc "
             "and floor see the real layout.")
    L.append("- **floor** (`bench/floor.c`) does only the kernel work of `run` for this bundle, hard-coded: "
             "clone with the same namespaces, / rslave, bind the rootfs, the spec's mounts (proc, /dev tmpfs, "
             "devpts, shm, mqueue, sysfs, /sys/fs/cgroup as tmpfs + a read-only bind per v1 hierarchy), the "
             "default device nodes and /dev symlinks, pivot_root, masked and read-only paths, read-only root, "
             "hostname, RLIMIT_NOFILE, capability drop to the spec's set, no_new_privs, exec /bin/true, wait. It "
             "creates no cgroup and keeps no state. For create/start/delete its column is one floor run; for "
             "exec, `floor -e PID` joins a running floor container's namespaces, forks, drops capabilities, "
             "sets no_new_privs and execs /bin/true. It has no memory-limit column.")
    L.append("- **floor-cg** (`floor -c NAME`, `run` rows only) adds the cgroup work a v1 runtime does: a group "
             "in every v1 hierarchy (cpuset initialised), the default device rules, the child moved in before it "
             "runs, the groups removed after; /sys/fs/cgroup in the container binds the container's groups.")
    L.append("- **floor-vm** (`floor -V`, `run` rows only) is the floor with the child cloned with `CLONE_VM` on "
             "a stack of its own, the way husk's `run` clones its init (no page-table copy, no copy-on-write "
             "faults). The issue's target is against **floor**, which clones as the issue describes (a fork-like "
             "clone); floor-vm shows how much of husk's lead comes from that choice.")
    for n in b.notes:
        L.append("- " + n)
    for rt, why in b.skipped.items():
        L.append("- **%s skipped**: %s" % (rt, why))
    L.append("")

    pairs = [("husk", x) for x in ("crun", "runc", "floor", "floor-cg", "floor-vm")
             if "husk" in active and x in active]
    summ = {}
    L.append("## Time (wall clock, ms)\n")
    L.extend(time_table(b, o, active, pairs, 0, summ, ""))
    L.append("")
    L.append("## CPU time (user + system of the whole process tree, ms)\n")
    L.append("Less disturbed by other load than wall time; kernel work done outside the tree (workqueues, RCU "
             "callbacks such as namespace teardown) is not counted.\n")
    L.extend(time_table(b, o, active, pairs, 2, summ, "cpu:"))
    if b.errors:
        L.append("")
    for (name, rt), err in b.errors.items():
        L.append("- %s failed in \"%s\": `%s`" % (rt, name, err))
    L.append("")

    if "run" in b.results:
        L.append("## Peak RSS (`run`, wait4 ru_maxrss)\n")
        L.append("| | " + " | ".join(active) + " |")
        L.append("|---|" + "---|" * len(active))
        row = "| median (min–max), MB |"
        for rt in active:
            vals = [r[1] for r in b.results["run"].get(rt, []) if r]
            if vals:
                m, lo, hi = summary(vals)
                row += " %.2f (%.2f–%.2f) |" % (m / 1024, lo / 1024, hi / 1024)
                summ.setdefault("rss_kb", {})[rt] = m
            else:
                row += " – |"
        L.append(row)
        L.append("")

    if b.memlimits:
        L.append("## Smallest `linux.resources.memory.limit` at which `run` succeeds\n")
        L.append("Bisection in %d KiB steps between 0 and 256 MiB, one run per probe.\n" % o.mem_step)
        L.append("| runtime | limit |\n|---|---|")
        for rt, (lim, err) in b.memlimits.items():
            if lim is None:
                L.append("| %s | failed even at 256 MiB: %s |" % (rt, err))
            else:
                L.append("| %s | %d KiB (%.2f MiB) |" % (rt, lim // 1024, lim / 1048576))
                summ.setdefault("memlimit", {})[rt] = lim
        L.append("")

    L.append("## Targets (issue 7)\n")
    L.append(targets(summ, "husk" in active))
    L.append("")
    return "\n".join(L), summ


def time_table(b, o, active, pairs, idx, summ, key):
    """Rows of median (min–max) per runtime for measurement field idx, then pair ratios."""
    L = ["| scenario | rounds | " + " | ".join(active) + "".join(" | %s/%s" % p for p in pairs) + " |",
         "|" + "---|" * (2 + len(active) + len(pairs))]
    for name, res in b.results.items():
        label = SCEN_LABEL[name]
        if name == "seq":
            label = label % o.seq_count
        elif name == "par":
            label = label % o.par_count
        rounds = max((len(v) for v in res.values()), default=0)
        row = "| %s | %d |" % (label, rounds)
        for rt in active:
            vals = [r[idx] for r in res.get(rt, []) if r]
            fails = sum(1 for r in res.get(rt, []) if r is None)
            if rt not in res:
                row += " n/a |"
            elif not vals:
                row += " failed |"
            else:
                m, lo, hi = summary(vals)
                row += " %s (%s–%s)%s |" % (fmt_ms(m), fmt_ms(lo), fmt_ms(hi), " [%d failed]" % fails if fails else "")
                summ.setdefault(key + name, {})[rt] = m
        for a, x in pairs:
            ratios = [p[idx] / q[idx] for p, q in zip(res.get(a, []), res.get(x, [])) if p and q and q[idx]]
            if ratios:
                m, lo, hi = summary(ratios)
                row += " %.2f (%.2f–%.2f) |" % (m, lo, hi)
                summ.setdefault(key + name, {})["%s/%s" % (a, x)] = m
            else:
                row += " – |"
        L.append(row)
    return L


def targets(s, have_husk):
    if not have_husk:
        return "Not checked: husk did not take part in this run (see above)."
    out = []

    def line(what, ok, val):
        out.append("- %s: %s (%s)" % (what, "**met**" if ok else "**not met**", val))
    for key, what in (("run", "wall"), ("cpu:run", "CPU")):
        run = s.get(key, {})
        if "husk/crun" in run:
            line("`run` ≤ 0.5× crun (%s time)" % what, run["husk/crun"] <= 0.5, "%.2f×" % run["husk/crun"])
        if "husk/floor" in run:
            line("`run` ≤ 1.3× floor (%s time)" % what, run["husk/floor"] <= 1.3, "%.2f×" % run["husk/floor"])
    rss = s.get("rss_kb", {}).get("husk")
    if rss is not None:
        line("peak RSS ≤ 2 MB", rss <= 2048, "%.2f MB" % (rss / 1024))
    lim = s.get("memlimit", {}).get("husk")
    if lim is not None:
        line("starts under a 1 MiB memory limit", lim <= 1048576, "%d KiB" % (lim // 1024))
    return "\n".join(out) if out else "No husk numbers."


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True)
    ap.add_argument("--bindir", required=True)
    ap.add_argument("--husk", required=True)
    ap.add_argument("--top", default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap.add_argument("--runc", default="/usr/sbin/runc")
    ap.add_argument("--crun", default="/usr/bin/crun")
    ap.add_argument("-n", type=int, default=30)
    ap.add_argument("--seq-count", type=int, default=100)
    ap.add_argument("--seq-rounds", type=int, default=5, help="rounds of the N-in-sequence row (each N runs)")
    ap.add_argument("--par-count", type=int, default=20)
    ap.add_argument("--par-rounds", type=int, default=10)
    ap.add_argument("--mem-step", type=int, default=16, help="KiB resolution of the memory-limit bisection")
    ap.add_argument("--deadline", type=float, default=0,
                    help="epoch seconds: stop starting rounds after this (CI budget)")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--settle", type=float, default=40,
                    help="ms to wait before each timed command, for the previous one's asynchronous teardown")
    ap.add_argument("--out", default=None)
    ap.add_argument("--json", default=None)
    ap.add_argument("--runtimes", default=",".join(RUNTIMES))
    ap.add_argument("--variant", action="append", default=[],
                    help="NAME=PATH: also measure another husk binary (e.g. a static build)")
    ap.add_argument("--scenarios", default="run,run-nonet,lifecycle,seq,par,exec,mem")
    o = ap.parse_args()
    if o.quick:
        o.n = min(o.n, 3)
        o.seq_count = min(o.seq_count, 10)
        o.seq_rounds = min(o.seq_rounds, 2)
        o.par_rounds = min(o.par_rounds, 2)
        o.mem_step = max(o.mem_step, 256)
    o.runtimes = o.runtimes.split(",")
    o.scenarios = o.scenarios.split(",")

    b = Bench(o)

    def on_term(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGHUP, on_term)
    try:
        b.make_bundles()
        b.probe()
        b.run_all()
    except KeyboardInterrupt:
        log("interrupted; cleaning up")
        return 130
    finally:
        b.stop_floor_container()
        b.cleanup_containers()
    text, summ = report(b, o)
    if o.out:
        with open(o.out, "w") as f:
            f.write(text + "\n")
        log("wrote", o.out)
    else:
        print(text)
    if o.json:
        with open(o.json, "w") as f:
            json.dump({"summary": summ, "skipped": b.skipped,
                       "failures": {n: {rt: sum(1 for r in v if r is None) for rt, v in res.items()}
                                    for n, res in b.results.items()},
                       "memlimit_errors": {rt: e for rt, (l, e) in b.memlimits.items() if l is None}}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
