/* The driver on the layouts this host does not have: a child process in a
 * private mount namespace replaces /sys/fs/cgroup with a pure v2 mount
 * (the host's unified hierarchy) or a pure v1 set (the host's v1
 * hierarchies), so layout detection and the v2/v1-only code paths run
 * against the real kernel. The host's mounts are untouched. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "linux/cgroups/cgroup.h"
#include "linux/cgroups/cgroup_internal.h"
#include "oci/config.h"

#define CHECK(c)                                                                                             \
  do                                                                                                         \
    {                                                                                                        \
      if (!(c))                                                                                              \
        {                                                                                                    \
          fprintf (stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c);                             \
          return __LINE__;                                                                                   \
        }                                                                                                    \
    }                                                                                                        \
  while (0)

#define OK(call)                                                                                             \
  do                                                                                                         \
    {                                                                                                        \
      if ((call) < 0)                                                                                        \
        {                                                                                                    \
          fprintf (stderr, "%s:%d: %s\n", __FILE__, __LINE__, err ? err->msg : "?");                         \
          return __LINE__;                                                                                   \
        }                                                                                                    \
    }                                                                                                        \
  while (0)

/* Unmount every cgroup mount under /sys/fs/cgroup (in our namespace). */
static int
clear_cgroup_mounts (void)
{
  static const char *const subs[]
      = { "cpu",     "cpuacct", "cpuset",   "memory",  "devices",    "freezer", "blkio", "pids", "systemd",
          "unified", "net_cls", "net_prio", "hugetlb", "perf_event", "rdma",    "misc",  NULL };
  char p[128];
  for (size_t i = 0; subs[i]; i++)
    {
      snprintf (p, sizeof (p), "/sys/fs/cgroup/%s", subs[i]);
      umount2 (p, MNT_DETACH);
    }
  while (umount2 ("/sys/fs/cgroup", MNT_DETACH) == 0)
    ;
  return 0;
}

static int
private_ns (void)
{
  if (unshare (CLONE_NEWNS) < 0 || mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
    return -1;
  return clear_cgroup_mounts ();
}

static int
mount_pure_v2 (void)
{
  return mount ("cgroup2", "/sys/fs/cgroup", "cgroup2", 0, NULL);
}

static int
mount_pure_v1 (void)
{
  static const char *const ctrls[]
      = { "memory", "pids", "freezer", "devices", "cpu", "cpuacct", "cpuset", NULL };
  if (mount ("tmpfs", "/sys/fs/cgroup", "tmpfs", 0, "mode=755") < 0)
    return -1;
  for (size_t i = 0; ctrls[i]; i++)
    {
      char p[128];
      snprintf (p, sizeof (p), "/sys/fs/cgroup/%s", ctrls[i]);
      if (mkdir (p, 0755) < 0 || mount ("cgroup", p, "cgroup", 0, ctrls[i]) < 0)
        return -1;
    }
  return 0;
}

static struct husk_config *
config (const char *resources)
{
  char text[1024];
  struct husk_config *cfg = NULL;
  husk_error_t err = NULL;
  snprintf (text, sizeof (text),
            "{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"r\"},\"linux\":{\"cgroupsPath\":"
            "\"/husk-test-layout-%d/c\",\"resources\":%s}}",
            getpid (), resources);
  if (husk_config_parse (text, strlen (text), "t", false, &cfg, &err) < 0)
    {
      fprintf (stderr, "%s\n", err->msg);
      return NULL;
    }
  return cfg;
}

/* Grandchild: wait for the go, then report whether /dev/kmsg opens. */
static pid_t
spawn (struct husk_cgroup *cg, int *go)
{
  int p[2];
  husk_error_t err = NULL;
  if (pipe (p) < 0)
    return -1;
  pid_t pid = fork ();
  if (pid == 0)
    {
      char c;
      close (p[1]);
      if (read (p[0], &c, 1) != 1)
        _exit (100);
      int fd = open ("/dev/kmsg", O_RDONLY | O_CLOEXEC);
      if (fd < 0 && errno == EPERM)
        {
          for (;;)
            pause (); /* denied, as it should be: wait to be killed */
        }
      _exit (101);
    }
  close (p[0]);
  if (husk_cgroup_enter (cg, pid, &err) < 0)
    {
      fprintf (stderr, "%s\n", err->msg);
      kill (pid, SIGKILL);
      return -1;
    }
  *go = p[1];
  return pid;
}

/* The common scenario: create, join, freeze, list, kill, remove. */
static int
scenario (enum husk_cg_layout want, const char *resources)
{
  husk_error_t err = NULL;
  struct husk_cgroup *cg = NULL;
  struct husk_config *cfg = config (resources);
  bool frozen = false;
  pid_t *pids = NULL;
  size_t n = 0;
  int go = -1, st = 0;
  CHECK (cfg != NULL);
  CHECK (strcmp (husk_cgroup_host_layout (), husk_cg_layout_name (want)) == 0);
  OK (husk_cgroup_create (cfg, "x", &cg, &err));
  CHECK (cg->layout == want);
  pid_t pid = spawn (cg, &go);
  CHECK (pid > 0);
  CHECK (write (go, "x", 1) == 1);
  usleep (100000);
  OK (husk_cgroup_pids (cg, &pids, &n, &err));
  CHECK (n == 1 && pids[0] == pid);
  free (pids);
  OK (husk_cgroup_freeze (cg, true, &err));
  OK (husk_cgroup_is_frozen (cg, &frozen, &err));
  CHECK (frozen);
  OK (husk_cgroup_freeze (cg, false, &err));
  OK (husk_cgroup_is_frozen (cg, &frozen, &err));
  CHECK (!frozen);
  OK (husk_cgroup_destroy (cg, &err));
  CHECK (waitpid (pid, &st, 0) == pid);
  /* Killed by destroy, not exited: the device was denied. */
  CHECK (WIFSIGNALED (st) && WTERMSIG (st) == SIGKILL);
  for (size_t i = 0; i < cg->n; i++)
    CHECK (access (cg->dirs[i].path, F_OK) != 0);
  husk_cgroup_free (cg);
  husk_config_free (cfg);
  return 0;
}

static int
in_child (int (*setup) (void), enum husk_cg_layout want, const char *resources)
{
  pid_t pid = fork ();
  if (pid == 0)
    {
      if (private_ns () < 0 || setup () < 0)
        {
          perror ("layout setup");
          _exit (1);
        }
      _exit (scenario (want, resources) ? 2 : 0);
    }
  int st = 0;
  waitpid (pid, &st, 0);
  return WIFEXITED (st) ? WEXITSTATUS (st) : 3;
}

static void
test_pure_v2 (void **state)
{
  /* The host's unified hierarchy has no memory/pids controller (they are
   * bound to v1), so only device rules, freeze and kill are exercised. */
  assert_int_equal (
      in_child (mount_pure_v2, HUSK_CG_V2, "{\"devices\":[{\"allow\":false,\"access\":\"rwm\"}]}"), 0);
}

static int
v2_missing_controller (void)
{
  husk_error_t err = NULL;
  struct husk_cgroup *cg = NULL;
  struct husk_config *cfg = config ("{\"pids\":{\"limit\":10}}");
  CHECK (husk_cgroup_create (cfg, "x", &cg, &err) < 0);
  CHECK (strstr (err->msg, "cannot set pids limit") != NULL);
  husk_config_free (cfg);
  return 0;
}

static void
test_pure_v2_missing_controller (void **state)
{
  if (access ("/sys/fs/cgroup/unified/cgroup.controllers", F_OK) < 0)
    skip ();
  pid_t pid = fork ();
  if (pid == 0)
    _exit (private_ns () < 0 || mount_pure_v2 () < 0 ? 1 : v2_missing_controller () ? 2 : 0);
  int st = 0;
  waitpid (pid, &st, 0);
  assert_true (WIFEXITED (st));
  assert_int_equal (WEXITSTATUS (st), 0);
}

static void
test_pure_v1 (void **state)
{
  if (access ("/sys/fs/cgroup/memory/memory.limit_in_bytes", F_OK) < 0)
    skip ();
  assert_int_equal (in_child (mount_pure_v1, HUSK_CG_V1,
                              "{\"memory\":{\"limit\":33554432},\"pids\":{\"limit\":10},"
                              "\"devices\":[{\"allow\":false,\"access\":\"rwm\"}]}"),
                    0);
}

/* Mounting over /sys/fs/cgroup without unmounting what was there leaves
 * the old mounts in mountinfo; only the reachable ones count. */
static void
test_shadowed_mounts (void **state)
{
  pid_t pid = fork ();
  if (pid == 0)
    {
      if (unshare (CLONE_NEWNS) < 0 || mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0
          || mount ("cgroup2", "/sys/fs/cgroup", "cgroup2", 0, NULL) < 0)
        _exit (1);
      _exit (strcmp (husk_cgroup_host_layout (), "v2") == 0 ? 0 : 2);
    }
  int st = 0;
  waitpid (pid, &st, 0);
  assert_true (WIFEXITED (st));
  assert_int_equal (WEXITSTATUS (st), 0);
}

static int
teardown (void **state)
{
  char cmd[256];
  snprintf (
      cmd, sizeof (cmd),
      "find /sys/fs/cgroup -maxdepth 3 -depth -type d -name 'husk-test-layout-*' -exec rmdir {}/c {} \\; "
      "2>/dev/null");
  int r = system (cmd); /* best effort: the scenario removes its own dirs */
  (void)r;
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
    cmocka_unit_test_teardown (test_pure_v2, teardown),
    cmocka_unit_test_teardown (test_pure_v2_missing_controller, teardown),
    cmocka_unit_test_teardown (test_pure_v1, teardown),
    cmocka_unit_test (test_shadowed_mounts),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
