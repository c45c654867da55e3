/* The cgroupfs driver against the real kernel: create a cgroup under a
 * husk-test-* parent, put a child in it, observe the limits, freeze,
 * list, kill and remove. Every test removes what it made. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "linux/cgroups/cgroup.h"
#include "linux/cgroups/cgroup_internal.h"
#include "oci/config.h"
#include "util/fs.h"

static char parent[64]; /* "/husk-test-<pid>" */

static struct husk_config *
config (const char *cgpath, const char *resources)
{
  char *text = NULL;
  struct husk_config *cfg = NULL;
  husk_error_t err = NULL;
  if (asprintf (&text,
                "{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"rootfs\"},\"linux\":{%s%s%s"
                "\"resources\":%s}}",
                cgpath ? "\"cgroupsPath\":\"" : "", cgpath ? cgpath : "", cgpath ? "\"," : "",
                resources ? resources : "{}")
      < 0)
    fail ();
  if (husk_config_parse (text, strlen (text), "test", false, &cfg, &err) < 0)
    fail_msg ("%s", err->msg);
  free (text);
  return cfg;
}

static struct husk_cgroup *
make (const char *name, const char *resources)
{
  char path[128];
  husk_error_t err = NULL;
  struct husk_cgroup *cg = NULL;
  snprintf (path, sizeof (path), "%s/%s", parent, name);
  struct husk_config *cfg = config (path, resources);
  if (husk_cgroup_create (cfg, "x", &cg, &err) < 0)
    fail_msg ("create: %s", err->msg);
  husk_config_free (cfg);
  return cg;
}

static void
destroy (struct husk_cgroup *cg)
{
  husk_error_t err = NULL;
  for (size_t i = 0; i < cg->n; i++)
    assert_int_equal (access (cg->dirs[i].path, F_OK), 0);
  if (husk_cgroup_destroy (cg, &err) < 0)
    fail_msg ("destroy: %s", err->msg);
  for (size_t i = 0; i < cg->n; i++)
    assert_int_not_equal (access (cg->dirs[i].path, F_OK), 0);
  husk_cgroup_free (cg);
}

static char *
rd (const char *dir, const char *file)
{
  char *s = NULL;
  husk_error_t err = NULL;
  if (husk_cg_read (dir, file, &s, &err) < 0)
    fail_msg ("%s", err->msg);
  s[strcspn (s, "\n")] = '\0';
  return s;
}

static void
assert_file (const char *dir, const char *file, const char *want)
{
  char *s = rd (dir, file);
  if (strcmp (s, want) != 0)
    fail_msg ("%s/%s = `%s`, want `%s`", dir, file, s, want);
  free (s);
}

/* Fork a child that waits on a pipe; it runs fn once it is in the cgroup. */
static pid_t
spawn_in (struct husk_cgroup *cg, int (*fn) (void *), void *arg)
{
  int p[2];
  husk_error_t err = NULL;
  assert_int_equal (pipe (p), 0);
  pid_t pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      char c;
      close (p[1]);
      if (read (p[0], &c, 1) != 1)
        _exit (100);
      _exit (fn (arg));
    }
  close (p[0]);
  if (husk_cgroup_enter (cg, pid, &err) < 0)
    fail_msg ("enter: %s", err->msg);
  assert_int_equal (write (p[1], "x", 1), 1);
  close (p[1]);
  return pid;
}

static int
wait_status (pid_t pid)
{
  int st = 0;
  assert_int_equal (waitpid (pid, &st, 0), pid);
  return st;
}

static void
test_layout (void **state)
{
  struct husk_cg_layout_info l;
  husk_error_t err = NULL;
  struct stat a, b;
  assert_int_equal (husk_cg_layout_detect (&l, &err), 0);
  /* Compare with what the filesystem says: cgroup2 at /sys/fs/cgroup is
   * pure v2; v1 controllers beside a cgroup2 mount is hybrid. */
  bool unified = stat ("/sys/fs/cgroup/unified/cgroup.controllers", &a) == 0;
  bool v2root = stat ("/sys/fs/cgroup/cgroup.controllers", &b) == 0;
  bool v1mem = stat ("/sys/fs/cgroup/memory/memory.limit_in_bytes", &b) == 0;
  enum husk_cg_layout want = v2root ? HUSK_CG_V2 : v1mem && unified ? HUSK_CG_HYBRID : HUSK_CG_V1;
  assert_int_equal (l.layout, want);
  assert_string_equal (husk_cgroup_host_layout (), husk_cg_layout_name (want));
  husk_cg_layout_free (&l);
}

static void
test_paths_and_json (void **state)
{
  husk_error_t err = NULL;
  struct husk_cgroup *cg = make ("json", NULL), *back = NULL;
  json_object *j = husk_cgroup_to_json (cg);
  assert_int_equal (husk_cgroup_from_json (j, &back, &err), 0);
  assert_int_equal (back->n, cg->n);
  for (size_t i = 0; i < cg->n; i++)
    {
      char want[256];
      assert_string_equal (back->dirs[i].path, cg->dirs[i].path);
      /* Absolute cgroupsPath: directly under each hierarchy's mount. */
      snprintf (want, sizeof (want), "%s/json", parent);
      assert_non_null (strstr (cg->dirs[i].path, want));
      assert_int_equal (access (cg->dirs[i].path, F_OK), 0);
    }
  struct husk_cgroup_mount m[16];
  size_t nm = husk_cgroup_mounts (back, m, 16);
  assert_int_equal (nm, cg->n);
  for (size_t i = 0; i < nm; i++)
    {
      /* The prefix is the hierarchy's mount point: its root cgroup. */
      char mnt[256];
      snprintf (mnt, sizeof (mnt), "%.*s/cgroup.procs", (int)m[i].mount_len, m[i].dir);
      assert_int_equal (access (mnt, F_OK), 0);
      assert_string_equal (m[i].dir + m[i].mount_len, strstr (cg->dirs[i].path, parent));
    }
  json_object_put (j);
  husk_cgroup_free (back);
  destroy (cg);
}

/* Our own cgroup in the hierarchy with controllers `ctrls` ("" for v2). */
static char *
own_cgroup_of (const char *ctrls)
{
  char *text = NULL, *out = NULL;
  husk_error_t err = NULL;
  if (husk_read_file ("/proc/self/cgroup", &text, NULL, &err) < 0)
    fail_msg ("%s", err->msg);
  for (char *save = NULL, *l = strtok_r (text, "\n", &save); l && !out; l = strtok_r (NULL, "\n", &save))
    {
      char *c1 = strchr (l, ':'), *c2 = c1 ? strchr (c1 + 1, ':') : NULL;
      if (c2 == NULL)
        continue;
      *c2 = '\0';
      if (strcmp (c1 + 1, ctrls) == 0)
        out = strdup (c2 + 1);
    }
  free (text);
  if (out == NULL)
    fail_msg ("no `%s` line in /proc/self/cgroup", ctrls);
  return out;
}

/* The default path is <our own cgroup>/<id> in every hierarchy, as runc;
 * the parent is not ours and stays. */
static void
test_default_path (void **state)
{
  husk_error_t err = NULL;
  struct husk_cgroup *cg = NULL;
  char id[64];
  char parents[16][512];
  snprintf (id, sizeof (id), "husk-test-default-%d", getpid ());
  struct husk_config *cfg = config (NULL, NULL);
  assert_int_equal (husk_cgroup_create (cfg, id, &cg, &err), 0);
  assert_int_equal (cg->parents, 0);
  assert_true (cg->n <= 16);
  for (size_t i = 0; i < cg->n; i++)
    {
      char want[512];
      char *own = own_cgroup_of (cg->dirs[i].ctrls);
      snprintf (want, sizeof (want), "%.*s%s/%s", (int)cg->dirs[i].base, cg->dirs[i].path,
                strcmp (own, "/") == 0 ? "" : own, id);
      assert_string_equal (cg->dirs[i].path, want);
      snprintf (parents[i], sizeof (parents[i]), "%.*s", (int)(strrchr (want, '/') - want), want);
      free (own);
    }
  size_t n = cg->n;
  husk_config_free (cfg);
  destroy (cg);
  for (size_t i = 0; i < n; i++)
    assert_int_equal (access (parents[i], F_OK), 0);
}

static int
child_relative (void *arg)
{
  husk_error_t err = NULL;
  struct husk_cgroup *cg = NULL;
  struct husk_config *cfg = config ("rel/inner", NULL);
  if (husk_cgroup_create (cfg, "x", &cg, &err) < 0)
    return 1;
  for (size_t i = 0; i < cg->n; i++)
    {
      char want[128];
      snprintf (want, sizeof (want), "%s/relhost/rel/inner", parent);
      if (strstr (cg->dirs[i].path, want) == NULL)
        return 2;
    }
  cg->parents = 1; /* remove rel/ too */
  return husk_cgroup_destroy (cg, &err) < 0 ? 3 : 0;
}

/* A relative path is under the cgroup of the calling process. */
static void
test_relative_path (void **state)
{
  struct husk_cgroup *host = make ("relhost", NULL);
  pid_t pid = spawn_in (host, child_relative, NULL);
  int st = wait_status (pid);
  assert_true (WIFEXITED (st));
  assert_int_equal (WEXITSTATUS (st), 0);
  destroy (host);
}

static void
test_limits_files (void **state)
{
  struct husk_cgroup *cg = make ("files", "{\"memory\":{\"limit\":33554432,\"reservation\":16777216,"
                                          "\"swappiness\":10},\"cpu\":{\"shares\":512,\"quota\":20000,"
                                          "\"period\":100000,\"cpus\":\"0\"},\"pids\":{\"limit\":16}}");
  if (cg->layout == HUSK_CG_V2)
    {
      const char *d = husk_cg_dir_v2 (cg);
      assert_file (d, "memory.max", "33554432");
      assert_file (d, "cpu.max", "20000 100000");
      assert_file (d, "pids.max", "16");
    }
  else
    {
      assert_file (husk_cg_dir_v1 (cg, "memory"), "memory.limit_in_bytes", "33554432");
      assert_file (husk_cg_dir_v1 (cg, "memory"), "memory.soft_limit_in_bytes", "16777216");
      assert_file (husk_cg_dir_v1 (cg, "memory"), "memory.swappiness", "10");
      assert_file (husk_cg_dir_v1 (cg, "cpu"), "cpu.shares", "512");
      assert_file (husk_cg_dir_v1 (cg, "cpu"), "cpu.cfs_quota_us", "20000");
      assert_file (husk_cg_dir_v1 (cg, "cpu"), "cpu.cfs_period_us", "100000");
      assert_file (husk_cg_dir_v1 (cg, "cpuset"), "cpuset.cpus", "0");
      assert_file (husk_cg_dir_v1 (cg, "cpuset"), "cpuset.mems", "0");
      assert_file (husk_cg_dir_v1 (cg, "pids"), "pids.max", "16");
    }
  destroy (cg);
}

static int
child_forks (void *arg)
{
  int n = 0;
  for (int i = 0; i < 64; i++)
    {
      pid_t p = fork ();
      if (p < 0)
        break;
      if (p == 0)
        {
          pause ();
          _exit (0);
        }
      n++;
    }
  return n; /* how many forks succeeded */
}

static void
test_pids_limit_stops_forks (void **state)
{
  struct husk_cgroup *cg = make ("pids", "{\"pids\":{\"limit\":8}}");
  pid_t pid = spawn_in (cg, child_forks, NULL);
  int st = wait_status (pid);
  assert_true (WIFEXITED (st));
  /* The child itself counts: 7 more processes fit. */
  assert_int_equal (WEXITSTATUS (st), 7);
  destroy (cg); /* also kills the 7 sleepers */
}

static int
child_hog (void *arg)
{
  size_t sz = 256 << 20;
  char *p = mmap (NULL, sz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED)
    return 1;
  for (size_t i = 0; i < sz; i += 4096)
    p[i] = 1;
  return 0; /* should never get here */
}

static void
test_memory_hog_oom_killed (void **state)
{
  husk_error_t err = NULL;
  struct husk_cgroup *cg = make ("oom", "{\"memory\":{\"limit\":33554432,\"swap\":33554432}}");
  int fd = -1;
  uint64_t before = 0, after = 0;
  assert_int_equal (husk_cgroup_oom_watch (cg, &fd, &err), 0);
  assert_int_equal (husk_cgroup_oom_count (cg, &before, &err), 0);
  pid_t pid = spawn_in (cg, child_hog, NULL);
  int st = wait_status (pid);
  assert_true (WIFSIGNALED (st));
  assert_int_equal (WTERMSIG (st), SIGKILL);
  struct pollfd pfd = { fd, POLLIN, 0 };
  assert_int_equal (poll (&pfd, 1, 2000), 1);
  husk_cgroup_oom_ack (fd);
  assert_int_equal (husk_cgroup_oom_count (cg, &after, &err), 0);
  assert_true (after > before);
  close (fd);
  destroy (cg);
}

static int
child_spin (void *arg)
{
  volatile uint64_t *counter = arg;
  for (;;)
    (*counter)++;
  return 0;
}

static void
sleep_ms (int ms)
{
  struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
  nanosleep (&ts, NULL);
}

static void
test_freeze_thaw_pids_kill (void **state)
{
  husk_error_t err = NULL;
  bool frozen = true;
  volatile uint64_t *counter = mmap (NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  struct husk_cgroup *cg = make ("freeze", NULL);
  pid_t pid = spawn_in (cg, child_spin, (void *)counter);
  pid_t *pids = NULL;
  size_t n = 0;
  assert_int_equal (husk_cgroup_pids (cg, &pids, &n, &err), 0);
  assert_int_equal (n, 1);
  assert_int_equal (pids[0], pid);
  free (pids);

  assert_int_equal (husk_cgroup_is_frozen (cg, &frozen, &err), 0);
  assert_false (frozen);
  assert_int_equal (husk_cgroup_freeze (cg, true, &err), 0);
  assert_int_equal (husk_cgroup_is_frozen (cg, &frozen, &err), 0);
  assert_true (frozen);
  uint64_t a = *counter;
  sleep_ms (100);
  assert_true (*counter == a); /* no progress while frozen */
  assert_int_equal (husk_cgroup_freeze (cg, false, &err), 0);
  sleep_ms (50);
  assert_true (*counter > a);

  /* kill_all with a signal other than SIGKILL goes through the pid list. */
  assert_int_equal (husk_cgroup_kill_all (cg, SIGTERM, &err), 0);
  int st = wait_status (pid);
  assert_true (WIFSIGNALED (st));
  assert_int_equal (WTERMSIG (st), SIGTERM);
  munmap ((void *)counter, 4096);
  destroy (cg);
}

/* delete of a paused container: the frozen processes are killed too. */
static void
test_destroy_frozen (void **state)
{
  husk_error_t err = NULL;
  volatile uint64_t *counter = mmap (NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  struct husk_cgroup *cg = make ("dfrozen", NULL);
  pid_t pid = spawn_in (cg, child_spin, (void *)counter);
  assert_int_equal (husk_cgroup_freeze (cg, true, &err), 0);
  struct husk_cgroup *keep = NULL;
  json_object *j = husk_cgroup_to_json (cg);
  assert_int_equal (husk_cgroup_from_json (j, &keep, &err), 0);
  json_object_put (j);
  destroy (cg);
  int st = wait_status (pid);
  assert_true (WIFSIGNALED (st));
  assert_int_equal (WTERMSIG (st), SIGKILL);
  /* Idempotent: a second destroy of the same state succeeds. */
  assert_int_equal (husk_cgroup_destroy (keep, &err), 0);
  husk_cgroup_free (keep);
  munmap ((void *)counter, 4096);
}

static void
test_update_and_refused_value (void **state)
{
  husk_error_t err = NULL;
  struct husk_cgroup *cg = make ("update", "{\"memory\":{\"limit\":67108864}}");
  json_object *r = json_tokener_parse ("{\"memory\":{\"limit\":50331648},\"pids\":{\"limit\":20}}");
  assert_int_equal (husk_cgroup_update (cg, r, &err), 0);
  json_object_put (r);
  const char *md = cg->layout == HUSK_CG_V2 ? husk_cg_dir_v2 (cg) : husk_cg_dir_v1 (cg, "memory");
  const char *pd = cg->layout == HUSK_CG_V2 ? husk_cg_dir_v2 (cg) : husk_cg_dir_v1 (cg, "pids");
  assert_file (md, cg->layout == HUSK_CG_V2 ? "memory.max" : "memory.limit_in_bytes", "50331648");
  assert_file (pd, "pids.max", "20");

  /* A value the kernel refuses names the file and the value. */
  r = json_tokener_parse ("{\"cpu\":{\"shares\":1,\"cpus\":\"0-4096\"}}");
  assert_int_equal (husk_cgroup_update (cg, r, &err), -1);
  json_object_put (r);
  assert_non_null (strstr (err->msg, "cpu"));
  husk_error_free (&err);
  r = json_tokener_parse ("{\"cpu\":{\"cpus\":\"0-4096\"}}");
  assert_int_equal (husk_cgroup_update (cg, r, &err), -1);
  json_object_put (r);
  assert_non_null (strstr (err->msg, "write `cpuset.cpus` = `0-4096`: "));
  husk_error_free (&err);
  if (cg->layout != HUSK_CG_V2)
    {
      /* v1 refuses a limit below what a live process uses. */
      pid_t pid = spawn_in (cg, child_spin,
                            mmap (NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
      sleep_ms (20);
      r = json_tokener_parse ("{\"memory\":{\"limit\":1}}");
      assert_int_equal (husk_cgroup_update (cg, r, &err), -1);
      json_object_put (r);
      assert_string_equal (err->msg, "write `memory.limit_in_bytes` = `1`: Device or resource busy");
      husk_error_free (&err);
      kill (pid, SIGKILL);
      wait_status (pid);
    }

  /* A bad type names the JSON path. */
  r = json_tokener_parse ("{\"memory\":{\"limit\":\"lots\"}}");
  assert_int_equal (husk_cgroup_update (cg, r, &err), -1);
  json_object_put (r);
  assert_non_null (strstr (err->msg, "resources.memory.limit"));
  husk_error_free (&err);
  destroy (cg);
}

static int
child_forker (void *arg)
{
  for (;;)
    {
      pid_t p = fork ();
      if (p == 0)
        _exit (0);
      if (p > 0)
        waitpid (p, NULL, 0);
    }
  return 0;
}

/* The cpuset line of /proc/<pid>/cgroup. */
static char *
cpuset_line (pid_t pid)
{
  char path[64], *text = NULL, *out = NULL;
  husk_error_t err = NULL;
  snprintf (path, sizeof (path), "/proc/%d/cgroup", (int)pid);
  if (husk_read_file (path, &text, NULL, &err) < 0)
    {
      husk_error_free (&err);
      return NULL;
    }
  char *l = strstr (text, ":cpuset:");
  if (l)
    out = strndup (l + 8, strcspn (l + 8, "\n"));
  free (text);
  return out;
}

/* v1: no cpuset cgroup without cpus/mems; the container runs in the
 * nearest existing ancestor. update with cpus makes it and moves a
 * process that forks all the time into it. */
static void
test_cpuset_on_demand (void **state)
{
  husk_error_t err = NULL;
  struct husk_cgroup *cg = make ("od", NULL), *back = NULL;
  char want[256];
  if (cg->layout == HUSK_CG_V2)
    {
      assert_null (cg->cpuset_path);
      destroy (cg);
      skip ();
    }
  assert_null (husk_cg_dir_v1 (cg, "cpuset"));
  snprintf (want, sizeof (want), "/sys/fs/cgroup/cpuset%s/od", parent);
  assert_string_equal (cg->cpuset_path, want);
  assert_int_not_equal (access (want, F_OK), 0);
  /* husk-test-<pid> is not made in cpuset either: the mount is the nearest. */
  assert_string_equal (cg->cpuset_join, "/sys/fs/cgroup/cpuset");
  json_object *j = husk_cgroup_to_json (cg);
  assert_int_equal (husk_cgroup_from_json (j, &back, &err), 0);
  json_object_put (j);
  assert_string_equal (back->cpuset_path, cg->cpuset_path);
  assert_string_equal (back->cpuset_join, cg->cpuset_join);
  assert_false (back->cpuset_here);

  pid_t pid = spawn_in (back, child_forker, NULL);
  char *line = cpuset_line (pid);
  assert_string_equal (line, "/");
  free (line);
  sleep_ms (20);
  json_object *r = json_tokener_parse ("{\"cpu\":{\"cpus\":\"0\"}}");
  assert_int_equal (husk_cgroup_update (back, r, &err), 0);
  json_object_put (r);
  assert_null (back->cpuset_path);
  assert_null (back->cpuset_join);
  assert_string_equal (husk_cg_dir_v1 (back, "cpuset"), want);
  assert_file (want, "cpuset.cpus", "0");
  /* Every process, a few times over while the forks go on. */
  snprintf (want, sizeof (want), "%s/od", parent);
  for (int round = 0; round < 5; round++)
    {
      pid_t *pids = NULL;
      size_t n = 0;
      assert_int_equal (husk_cgroup_pids (back, &pids, &n, &err), 0);
      assert_true (n >= 1);
      for (size_t i = 0; i < n; i++)
        {
          line = cpuset_line (pids[i]);
          if (line && strcmp (line, want) != 0)
            {
              /* Only a child exiting meanwhile may have been skipped. */
              free (line);
              sleep_ms (50);
              line = cpuset_line (pids[i]);
              if (line && strcmp (line, want) != 0)
                fail_msg ("pid %d in cpuset `%s`", (int)pids[i], line);
            }
          free (line);
        }
      free (pids);
      sleep_ms (10);
    }
  line = cpuset_line (pid);
  assert_string_equal (line, want);
  free (line);
  j = husk_cgroup_to_json (back);
  assert_false (json_object_object_get_ex (j, "cpuset", NULL));
  json_object_put (j);
  kill (pid, SIGKILL);
  wait_status (pid);
  husk_cgroup_free (cg);
  destroy (back);
  snprintf (want, sizeof (want), "/sys/fs/cgroup/cpuset%s", parent);
  assert_int_not_equal (access (want, F_OK), 0);
}

static void
test_create_failure_leaves_nothing (void **state)
{
  husk_error_t err = NULL;
  struct husk_cgroup *cg = NULL;
  char path[128], dir[192];
  snprintf (path, sizeof (path), "%s/bad/leaf", parent);
  struct husk_config *cfg = config (path, "{\"cpu\":{\"cpus\":\"0-4096\"}}");
  assert_int_equal (husk_cgroup_create (cfg, "x", &cg, &err), -1);
  assert_non_null (strstr (err->msg, "cpuset.cpus"));
  husk_error_free (&err);
  husk_config_free (cfg);
  snprintf (dir, sizeof (dir), "/sys/fs/cgroup/cpuset%s/bad", parent);
  assert_int_not_equal (access (dir, F_OK), 0);
  snprintf (dir, sizeof (dir), "/sys/fs/cgroup/memory%s/bad", parent);
  assert_int_not_equal (access (dir, F_OK), 0);

  /* The root cgroup is refused: destroying it would kill the host. */
  static const char *const roots[] = { "/", "/./", "//.//" };
  for (size_t i = 0; i < 3; i++)
    {
      cfg = config (roots[i], "{\"pids\":{\"limit\":10}}");
      assert_int_equal (husk_cgroup_create (cfg, "x", &cg, &err), -1);
      assert_non_null (strstr (err->msg, "root cgroup"));
      husk_error_free (&err);
      husk_config_free (cfg);
    }
  json_object *j = json_tokener_parse ("{\"layout\":\"v1\",\"path\":\"/\",\"dirs\":[{\"controllers\":"
                                       "\"pids\",\"path\":\"/sys/fs/cgroup/pids\",\"v2\":false}]}");
  assert_int_equal (husk_cgroup_from_json (j, &cg, &err), 0);
  assert_int_equal (husk_cgroup_destroy (cg, &err), -1);
  husk_error_free (&err);
  assert_int_equal (husk_cgroup_kill_all (cg, SIGKILL, &err), -1);
  husk_error_free (&err);
  husk_cgroup_free (cg);
  json_object_put (j);
}

/* blockIO throttles, the unified map (hybrid/v2) and a controller the
 * host lacks. */
static void
test_blkio_unified_missing (void **state)
{
  husk_error_t err = NULL;
  struct stat st;
  if (stat ("/dev/loop0", &st) < 0 || !S_ISBLK (st.st_mode))
    skip ();
  char res[512];
  snprintf (res, sizeof (res),
            "{\"blockIO\":{\"throttleReadBpsDevice\":[{\"major\":%u,\"minor\":%u,\"rate\":1048576}],"
            "\"throttleWriteIOPSDevice\":[{\"major\":%u,\"minor\":%u,\"rate\":100}]}%s}",
            major (st.st_rdev), minor (st.st_rdev), major (st.st_rdev), minor (st.st_rdev),
            strcmp (husk_cgroup_host_layout (), "v1") != 0 ? ",\"unified\":{\"cgroup.max.descendants\":\"7\"}"
                                                           : "");
  struct husk_cgroup *cg = make ("blkio", res);
  char want[64];
  snprintf (want, sizeof (want), "%u:%u", major (st.st_rdev), minor (st.st_rdev));
  if (cg->layout == HUSK_CG_V2)
    {
      char *io = rd (husk_cg_dir_v2 (cg), "io.max");
      assert_non_null (strstr (io, "rbps=1048576"));
      assert_non_null (strstr (io, "wiops=100"));
      free (io);
    }
  else
    {
      char *s1 = rd (husk_cg_dir_v1 (cg, "blkio"), "blkio.throttle.read_bps_device");
      char *s2 = rd (husk_cg_dir_v1 (cg, "blkio"), "blkio.throttle.write_iops_device");
      char w1[96], w2[96];
      snprintf (w1, sizeof (w1), "%s 1048576", want);
      snprintf (w2, sizeof (w2), "%s 100", want);
      assert_string_equal (s1, w1);
      assert_string_equal (s2, w2);
      free (s1);
      free (s2);
    }
  if (cg->layout != HUSK_CG_V1)
    assert_file (husk_cg_dir_v2 (cg), "cgroup.max.descendants", "7");
  destroy (cg);

  /* net_cls is not mounted on this host: an error, nothing left behind. */
  if (access ("/sys/fs/cgroup/net_cls", F_OK) != 0 && access ("/sys/fs/cgroup/net_cls,net_prio", F_OK) != 0)
    {
      char path[128], dir[192];
      struct husk_cgroup *bad = NULL;
      snprintf (path, sizeof (path), "%s/netcls", parent);
      struct husk_config *cfg = config (path, "{\"network\":{\"classID\":1048577}}");
      assert_int_equal (husk_cgroup_create (cfg, "x", &bad, &err), -1);
      assert_non_null (strstr (err->msg, "net_cls"));
      husk_error_free (&err);
      husk_config_free (cfg);
      snprintf (dir, sizeof (dir), "/sys/fs/cgroup/memory%s/netcls", parent);
      assert_int_not_equal (access (dir, F_OK), 0);
    }
}

/* hugepageLimits where only the unified hierarchy has hugetlb (hybrid):
 * this enables hugetlb in the v2 root's subtree_control, so it runs only
 * when that is already on or HUSK_TEST_HOST_CGROUP=1 allows it (and then
 * turns it off again). */
static void
test_hugetlb_v2 (void **state)
{
  husk_error_t err = NULL;
  const char *root
      = access ("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0 ? "/sys/fs/cgroup" : "/sys/fs/cgroup/unified";
  char *ctl = NULL, *on = NULL;
  if (access ("/sys/kernel/mm/hugepages/hugepages-2048kB", F_OK) < 0
      || husk_cg_read (root, "cgroup.controllers", &ctl, &err) < 0)
    skip ();
  bool avail = strstr (ctl, "hugetlb") != NULL;
  free (ctl);
  if (!avail || husk_cg_read (root, "cgroup.subtree_control", &on, &err) < 0)
    skip ();
  bool was_on = strstr (on, "hugetlb") != NULL;
  free (on);
  if (!was_on && (getenv ("HUSK_TEST_HOST_CGROUP") == NULL || access ("/sys/fs/cgroup/hugetlb", F_OK) == 0))
    skip ();
  struct husk_cgroup *cg = make ("huge", "{\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":4194304}]}");
  const char *d = husk_cg_dir_v2 (cg);
  assert_file (d, "hugetlb.2MB.max", "4194304");
  if (husk_cg_exists (d, "hugetlb.2MB.rsvd.max"))
    assert_file (d, "hugetlb.2MB.rsvd.max", "4194304");
  destroy (cg);
  if (!was_on)
    assert_int_equal (husk_cg_write (root, "cgroup.subtree_control", "-hugetlb", &err), 0);
}

static int
child_rootless (void *arg)
{
  husk_error_t err = NULL;
  struct husk_cgroup *cg = NULL;
  char path[128];
  snprintf (path, sizeof (path), "%s/rootless", parent);
  if (setgid (65534) < 0 || setuid (65534) < 0)
    return 1;
  /* No limits: runs without a cgroup of its own. */
  struct husk_config *cfg = config (path, "{\"devices\":[{\"allow\":false,\"access\":\"rwm\"}]}");
  if (husk_cgroup_create (cfg, "x", &cg, &err) < 0 || cg->n != 0)
    return 2;
  husk_cgroup_free (cg);
  husk_config_free (cfg);
  /* Limits that cannot be applied are an error naming the directory. */
  cfg = config (path, "{\"pids\":{\"limit\":5}}");
  if (husk_cgroup_create (cfg, "x", &cg, &err) == 0 || err->errno_ != EACCES)
    return 3;
  husk_config_free (cfg);
  return 0;
}

static void
test_rootless_without_permission (void **state)
{
  pid_t pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    _exit (child_rootless (NULL));
  int st = wait_status (pid);
  assert_true (WIFEXITED (st));
  assert_int_equal (WEXITSTATUS (st), 0);
}

static void
test_conversions (void **state)
{
  husk_error_t err = NULL;
  int64_t s = 0;
  /* runc >= 1.3.2's quadratic map: the v1 default is the v2 default. */
  assert_int_equal (husk_cg_shares_to_weight (1024), 100);
  assert_int_equal (husk_cg_shares_to_weight (512), 59);
  assert_int_equal (husk_cg_shares_to_weight (100), 17);
  assert_int_equal (husk_cg_shares_to_weight (100000), 4340);
  assert_int_equal (husk_cg_shares_to_weight (0), 0);
  assert_int_equal (husk_cg_shares_to_weight (2), 1);
  assert_int_equal (husk_cg_shares_to_weight (262144), 10000);
  assert_int_equal (husk_cg_blkio_to_io_weight (10), 1);
  assert_int_equal (husk_cg_blkio_to_io_weight (1000), 10000);
  assert_int_equal (husk_cg_blkio_to_io_weight (500), 4950);
  assert_int_equal (husk_cg_swap_to_v2 (200, 100, &s, &err), 0);
  assert_int_equal (s, 100);
  assert_int_equal (husk_cg_swap_to_v2 (0, -1, &s, &err), 0);
  assert_int_equal (s, -1);
  assert_int_equal (husk_cg_swap_to_v2 (50, 100, &s, &err), -1);
  husk_error_free (&err);
}

static void
test_stats (void **state)
{
  husk_error_t err = NULL;
  json_object *st = NULL, *v, *u;
  struct husk_cgroup *cg = make ("stats", "{\"memory\":{\"limit\":33554432},\"pids\":{\"limit\":10}}");
  assert_int_equal (husk_cgroup_stats (cg, &st, &err), 0);
  assert_true (json_object_object_get_ex (st, "memory", &v));
  assert_true (json_object_object_get_ex (v, "usage", &u));
  assert_true (json_object_object_get_ex (u, "limit", &v));
  assert_int_equal (json_object_get_uint64 (v), 33554432);
  assert_true (json_object_object_get_ex (st, "pids", &v));
  assert_true (json_object_object_get_ex (v, "limit", &u));
  assert_int_equal (json_object_get_uint64 (u), 10);
  assert_true (json_object_object_get_ex (st, "cpu", &v));
  assert_true (json_object_object_get_ex (st, "hugetlb", &v));
  json_object_put (st);
  destroy (cg);
}

static int
setup (void **state)
{
  snprintf (parent, sizeof (parent), "/husk-test-%d", getpid ());
  return 0;
}

/* Remove the per-run parent in every hierarchy, even after a failure. */
static int
teardown (void **state)
{
  static const char *const roots[]
      = { "cpu",     "cpuacct", "cpuset",  "memory",     "devices", "freezer", "blkio", "pids", "systemd",
          "unified", "net_cls", "hugetlb", "perf_event", "rdma",    "misc",    "",      NULL };
  for (size_t i = 0; roots[i]; i++)
    {
      char cmd[256];
      snprintf (cmd, sizeof (cmd), "/sys/fs/cgroup/%s%s", roots[i], parent);
      if (access (cmd, F_OK) == 0)
        {
          snprintf (cmd, sizeof (cmd), "find /sys/fs/cgroup/%s%s -depth -type d -exec rmdir {} + 2>/dev/null",
                    roots[i], parent);
          if (system (cmd) != 0)
            fprintf (stderr, "teardown: could not remove %s\n", cmd);
        }
    }
  return 0;
}

int
main (void)
{
  if (geteuid () != 0)
    {
      fprintf (stderr, "cgroup tests need root; skipped\n");
      return 0;
    }
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_layout),
    cmocka_unit_test (test_conversions),
    cmocka_unit_test_setup_teardown (test_paths_and_json, setup, teardown),
    cmocka_unit_test_setup_teardown (test_default_path, setup, teardown),
    cmocka_unit_test_setup_teardown (test_relative_path, setup, teardown),
    cmocka_unit_test_setup_teardown (test_limits_files, setup, teardown),
    cmocka_unit_test_setup_teardown (test_pids_limit_stops_forks, setup, teardown),
    cmocka_unit_test_setup_teardown (test_memory_hog_oom_killed, setup, teardown),
    cmocka_unit_test_setup_teardown (test_freeze_thaw_pids_kill, setup, teardown),
    cmocka_unit_test_setup_teardown (test_destroy_frozen, setup, teardown),
    cmocka_unit_test_setup_teardown (test_update_and_refused_value, setup, teardown),
    cmocka_unit_test_setup_teardown (test_create_failure_leaves_nothing, setup, teardown),
    cmocka_unit_test_setup_teardown (test_cpuset_on_demand, setup, teardown),
    cmocka_unit_test_setup_teardown (test_stats, setup, teardown),
    cmocka_unit_test_setup_teardown (test_rootless_without_permission, setup, teardown),
    cmocka_unit_test_setup_teardown (test_blkio_unified_missing, setup, teardown),
    cmocka_unit_test_setup_teardown (test_hugetlb_v2, setup, teardown),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
