/* CVE-2025-52565: the console bind only ever mounts a verified pty slave,
   fd to fd, onto a target that is not a symlink.  Runs in a child with a
   private mount namespace and its own devpts instance.  */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "linux/pty_verify.h"

static char dir[64];

static int
in_private_ns (int (*fn) (void))
{
  int st;
  pid_t pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      if (unshare (CLONE_NEWNS) < 0 || mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        _exit (90);
      _exit (fn ());
    }
  assert_int_equal (waitpid (pid, &st, 0), pid);
  return WIFEXITED (st) ? WEXITSTATUS (st) : 128 + WTERMSIG (st);
}

/* A devpts instance of our own at dir/pts; returns the master.  */
static int
new_master (void)
{
  char pts[128], ptmx[160];
  snprintf (pts, sizeof pts, "%s/pts", dir);
  if (mkdir (pts, 0755) < 0 && errno != EEXIST)
    return -1;
  if (mount ("devpts", pts, "devpts", 0, "newinstance,ptmxmode=0666") < 0)
    return -1;
  snprintf (ptmx, sizeof ptmx, "%s/ptmx", pts);
  return open (ptmx, O_RDWR | O_NOCTTY | O_CLOEXEC);
}

static int
bind_ok (void)
{
  husk_error_t err = NULL;
  char target[128];
  struct stat a, b;
  int master = new_master (), slave;
  if (master < 0)
    return 91;
  if (unlockpt (master) < 0)
    return 92;
  slave = husk_pty_open_slave (master, &err);
  if (slave < 0)
    return 1;
  /* Missing target: created, then bound.  */
  snprintf (target, sizeof target, "%s/console", dir);
  if (husk_pty_bind_console (slave, target, &err) < 0)
    return 2;
  if (stat (target, &a) < 0 || fstat (slave, &b) < 0 || a.st_rdev != b.st_rdev || !S_ISCHR (a.st_mode))
    return 3;
  return 0;
}

static void
test_bind_verified_slave (void **state)
{
  (void)state;
  assert_int_equal (in_private_ns (bind_ok), 0);
}

static int
refusals (void)
{
  husk_error_t err = NULL;
  char target[128], link[128];
  int master = new_master (), slave, null;
  if (master < 0 || unlockpt (master) < 0)
    return 91;
  slave = husk_pty_open_slave (master, &err);
  if (slave < 0)
    return 92;
  /* A symlink in place of /dev/console (to a procfs file, as in the CVE).  */
  snprintf (link, sizeof link, "%s/console-link", dir);
  if (symlink ("/proc/sys/kernel/core_pattern", link) < 0)
    return 93;
  if (husk_pty_bind_console (slave, link, &err) == 0)
    return 1;
  husk_error_free (&err);
  /* A directory.  */
  snprintf (target, sizeof target, "%s/pts", dir);
  if (husk_pty_bind_console (slave, target, &err) == 0)
    return 2;
  husk_error_free (&err);
  /* Something that is not a pty slave as the source: /dev/null.  */
  null = open ("/dev/null", O_RDWR | O_CLOEXEC);
  snprintf (target, sizeof target, "%s/console2", dir);
  if (husk_pty_bind_console (null, target, &err) == 0)
    return 3;
  if (strstr (err->msg, "not a devpts pty") == NULL)
    return 4;
  husk_error_free (&err);
  /* The master itself is no slave either, and /dev/null no master.  */
  if (husk_pty_verify_slave (master, &err) == 0)
    return 5;
  husk_error_free (&err);
  if (husk_pty_verify_master (master, &err) < 0)
    return 6;
  if (husk_pty_verify_master (null, &err) == 0 || husk_pty_verify_master (slave, &err) == 0)
    return 7;
  return 0;
}

static void
test_refusals (void **state)
{
  (void)state;
  assert_int_equal (in_private_ns (refusals), 0);
}

static int
setup (void **state)
{
  (void)state;
  strcpy (dir, "/tmp/husk-pty-XXXXXX");
  return mkdtemp (dir) ? 0 : -1;
}

static int
teardown (void **state)
{
  char cmd[128];
  (void)state;
  snprintf (cmd, sizeof cmd, "rm -rf %s", dir);
  return system (cmd) == 0 ? 0 : -1;
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_bind_verified_slave),
    cmocka_unit_test (test_refusals),
  };
  return cmocka_run_group_tests (tests, setup, teardown);
}
