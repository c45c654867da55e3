/* Verified procfs writes (CVE-2025-52881): something mounted over a
   /proc file or over /proc itself must never receive husk's write.  Each
   attack runs in a child with private mount and UTS namespaces.  */
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
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "linux/procfs.h"
#include "util/fs.h"

static char decoy[64];

static int
run_in_ns (int (*fn) (void))
{
  int st;
  pid_t pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      if (unshare (CLONE_NEWNS | CLONE_NEWUTS) < 0 || mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        _exit (90);
      _exit (fn ());
    }
  assert_int_equal (waitpid (pid, &st, 0), pid);
  return WIFEXITED (st) ? WEXITSTATUS (st) : 128 + WTERMSIG (st);
}

static bool
decoy_untouched (void)
{
  char buf[64] = "";
  int fd = open (decoy, O_RDONLY);
  ssize_t n = fd >= 0 ? read (fd, buf, sizeof buf - 1) : -1;
  if (fd >= 0)
    close (fd);
  return n >= 0 && strcmp (buf, "decoy\n") == 0;
}

static int
write_oom (void)
{
  husk_error_t err = NULL;
  char *v = NULL;
  if (husk_procfs_write ("self/oom_score_adj", "321", &err) < 0)
    return 1;
  if (husk_read_file ("/proc/self/oom_score_adj", &v, NULL, &err) < 0 || strcmp (v, "321\n") != 0)
    return 2;
  free (v);
  /* thread-self resolves too.  */
  if (husk_procfs_write ("thread-self/oom_score_adj", "322", &err) < 0)
    return 3;
  return 0;
}

static void
test_plain_writes (void **state)
{
  (void)state;
  husk_procfs_force_fallback (false);
  assert_int_equal (run_in_ns (write_oom), 0);
  husk_procfs_force_fallback (true);
  assert_int_equal (run_in_ns (write_oom), 0);
  husk_procfs_force_fallback (false);
}

/* A file bind-mounted over /proc/sys/kernel/hostname.  */
static int
overmounted_sysctl (void)
{
  husk_error_t err = NULL;
  struct utsname u;
  if (mount (decoy, "/proc/sys/kernel/hostname", NULL, MS_BIND, NULL) < 0)
    return 91;
  husk_procfs_force_fallback (true);
  if (husk_procfs_write ("sys/kernel/hostname", "husk-procfs-a", &err) == 0)
    return 1;
  if (err->errno_ != EXDEV || strstr (err->msg, "mounted over") == NULL)
    return 2;
  husk_error_free (&err);
  if (!decoy_untouched ())
    return 3;
  /* The default path uses a private procfs instance when the kernel
     allows one: the write then reaches the real sysctl, never the decoy.  */
  husk_procfs_force_fallback (false);
  if (husk_procfs_write ("sys/kernel/hostname", "husk-procfs-b", &err) == 0)
    {
      if (uname (&u) < 0 || strcmp (u.nodename, "husk-procfs-b") != 0)
        return 4;
    }
  else if (err->errno_ != EXDEV)
    return 5;
  return decoy_untouched () ? 0 : 6;
}

static void
test_overmounted_file_refused (void **state)
{
  (void)state;
  assert_int_equal (run_in_ns (overmounted_sysctl), 0);
}

static int
overmounted_self_file (void)
{
  char path[64];
  husk_error_t err = NULL;
  snprintf (path, sizeof path, "/proc/%d/oom_score_adj", (int)getpid ());
  if (mount (decoy, path, NULL, MS_BIND, NULL) < 0)
    return 91;
  husk_procfs_force_fallback (true);
  if (husk_procfs_write ("self/oom_score_adj", "100", &err) == 0)
    return 1;
  return err->errno_ == EXDEV && decoy_untouched () ? 0 : 2;
}

static void
test_overmounted_self_refused (void **state)
{
  (void)state;
  assert_int_equal (run_in_ns (overmounted_self_file), 0);
}

/* /proc itself replaced by a tmpfs, or by a bind of /proc/sys.  */
static int
fake_proc_root (void)
{
  husk_error_t err = NULL;
  husk_procfs_force_fallback (true);
  if (mount ("/proc/sys", "/proc", NULL, MS_BIND, NULL) < 0)
    return 91;
  if (husk_procfs_write ("kernel/hostname", "husk-procfs-c", &err) == 0)
    return 1;
  if (strstr (err->msg, "not the root of a procfs mount") == NULL)
    return 2;
  husk_error_free (&err);
  if (mount ("tmpfs", "/proc", "tmpfs", 0, NULL) < 0)
    return 92;
  if (husk_procfs_open ("self/status", O_RDONLY, &err) >= 0)
    return 3;
  return strstr (err->msg, "not a procfs mount") ? 0 : 4;
}

static void
test_fake_proc_root_refused (void **state)
{
  (void)state;
  assert_int_equal (run_in_ns (fake_proc_root), 0);
}

/* Magic links and symlinks inside procfs are not followed.  */
static int
no_magic_links (void)
{
  husk_error_t err = NULL;
  int fd;
  if (husk_procfs_open ("self/cwd/etc/hostname", O_RDONLY, &err) >= 0)
    return 1;
  husk_error_free (&err);
  if (husk_procfs_open ("self/root/etc/hostname", O_RDONLY, &err) >= 0)
    return 2;
  husk_error_free (&err);
  fd = husk_procfs_open ("self/status", O_RDONLY, &err);
  if (fd < 0)
    return 3;
  close (fd);
  return 0;
}

static void
test_no_magic_links (void **state)
{
  (void)state;
  assert_int_equal (run_in_ns (no_magic_links), 0);
}

static int
setup (void **state)
{
  int fd;
  (void)state;
  strcpy (decoy, "/tmp/husk-procfs-decoy-XXXXXX");
  fd = mkstemp (decoy);
  if (fd < 0)
    return -1;
  if (write (fd, "decoy\n", 6) != 6)
    return -1;
  close (fd);
  return 0;
}

static int
teardown (void **state)
{
  (void)state;
  unlink (decoy);
  return 0;
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_plain_writes),
    cmocka_unit_test (test_overmounted_file_refused),
    cmocka_unit_test (test_overmounted_self_refused),
    cmocka_unit_test (test_fake_proc_root_refused),
    cmocka_unit_test (test_no_magic_links),
  };
  return cmocka_run_group_tests (tests, setup, teardown);
}
