/* The rootfs module against hostile rootfs and configs (harness:
 * rootfs_harness.h): symlinks out of the root, /proc overmounts, a swapped
 * /dev/null under maskedPaths, errors naming the mount, and nothing leaking
 * to the host's mount table. Needs root. */
#include "rootfs_harness.h"

/* A mount target reached through symlinks that point out of the rootfs
 * (relative "../../..", absolute host path, "/") lands inside the rootfs;
 * nothing is created on the host. */
static void
test_symlink_escape (void **state)
{
  static const char *const none[] = { NULL };
  struct env e;
  struct escape x;
  char link[PATH_MAX * 2], rel[PATH_MAX * 2];
  char *inside = NULL;
  struct stat st;
  (void)state;
  env_init (&e);
  snprintf (x.host, sizeof x.host, "%s/hostside", e.dir);
  assert_int_equal (mkdir (x.host, 0755), 0);
  snprintf (rel, sizeof rel, "../../../../../../../..%s", x.host);
  snprintf (link, sizeof link, "%s/rel", e.rootfs);
  assert_int_equal (symlink (rel, link), 0);
  snprintf (link, sizeof link, "%s/abs", e.rootfs);
  assert_int_equal (symlink (x.host, link), 0);
  snprintf (link, sizeof link, "%s/up", e.rootfs);
  assert_int_equal (symlink ("/", link), 0);
  /* The same path exists inside the rootfs: that is where they lead. */
  assert_int_equal (sh ("mkdir -p %s%s", e.rootfs, x.host), 0);
  add_mount (&e, "/rel/sub", "tmpfs", "tmpfs", none);
  add_mount (&e, "/abs/abs", "tmpfs", "tmpfs", none);
  add_mount (&e, "/up/../../sub", "tmpfs", "tmpfs", none);
  expect_ok (&e, BASE_FLAGS, check_escape, &x);
  snprintf (link, sizeof link, "%s/sub", x.host);
  assert_int_equal (stat (link, &st), -1);
  snprintf (link, sizeof link, "%s/abs", x.host);
  assert_int_equal (stat (link, &st), -1);
  /* It went to the rootfs copy of the path instead. */
  assert_true (asprintf (&inside, "%s%s/sub", e.rootfs, x.host) > 0);
  assert_int_equal (stat (inside, &st), 0);
  free (inside);
  env_free (&e);
}

/* A symlink whose target does not exist inside the rootfs is refused
 * (nothing is created through it, neither inside nor on the host). */
static void
test_symlink_dangling_refused (void **state)
{
  static const char *const none[] = { NULL };
  static const char *const fro[] = { "bind", "ro", NULL };
  char victim[PATH_MAX], link[PATH_MAX + 16];
  struct env e;
  size_t i;
  (void)state;
  for (i = 0; i < 2; i++)
    {
      env_init (&e);
      snprintf (victim, sizeof victim, "%s/victim", e.dir);
      assert_int_equal (mkdir (victim, 0755), 0);
      snprintf (link, sizeof link, "%s/evil", e.rootfs);
      assert_int_equal (symlink (victim, link), 0);
      if (i == 0)
        add_mount (&e, "/evil/sub", "tmpfs", "tmpfs", none);
      else
        {
          snprintf (link, sizeof link, "%s/victim/file", e.dir);
          assert_int_equal (sh ("touch %s", link), 0);
          add_mount (&e, "/evil", "bind", link, fro);
        }
      expect_error (&e, "to `/evil", "is a symlink to");
      assert_int_equal (sh ("test -z \"$(ls -A %s | grep -v '^file$')\"", victim), 0);
      env_free (&e);
    }
}

/* CVE-2019-19921: /proc as a symlink must not redirect the proc mount. */
static void
test_proc_symlink_refused (void **state)
{
  struct env e;
  (void)state;
  env_init (&e);
  assert_int_equal (sh ("rmdir %s/proc && ln -s etc %s/proc", e.rootfs, e.rootfs), 0);
  expect_error (&e, "mount `proc` to `/proc`", "must be mounted on ordinary directory");
  env_free (&e);
}

/* CVE-2019-16884: nothing may be mounted over a procfs file such as
 * /proc/self/attr/exec; lxcfs-style files are allowed. */
static void
test_mount_over_proc_refused (void **state)
{
  struct env e;
  char src[PATH_MAX + 16];
  const char *const ro[] = { "bind", "ro", NULL };
  (void)state;
  env_init (&e);
  snprintf (src, sizeof src, "%s/fake", e.dir);
  assert_int_equal (sh ("echo fake > %s", src), 0);
  add_mount (&e, "/proc/self/attr/exec", "bind", src, ro);
  expect_error (&e, "to `/proc/self/attr/exec`", "inside /proc");
  env_free (&e);
  env_init (&e);
  snprintf (src, sizeof src, "%s/fake", e.dir);
  assert_int_equal (sh ("echo fake > %s", src), 0);
  add_mount (&e, "/proc", "bind", src, ro);
  expect_error (&e, "to `/proc`", "not of type proc");
  env_free (&e);
}

static void
test_lxcfs_style_allowed (void **state)
{
  struct env e;
  char src[PATH_MAX + 16];
  const char *const opts[] = { "bind", "ro", NULL };
  (void)state;
  env_init (&e);
  snprintf (src, sizeof src, "%s/uptime", e.dir);
  assert_int_equal (sh ("echo '42.00 1.00' > %s", src), 0);
  add_mount (&e, "/proc/uptime", NULL, src, opts);
  expect_ok (&e, BASE_FLAGS, check_uptime, NULL);
  env_free (&e);
}

/* CVE-2025-31133: maskedPaths must never bind something else than the
 * real null device. Here /dev comes from a bind of a host dir whose
 * "null" is a symlink to a procfs file, then a regular file. */
static void
test_masked_devnull_swapped (void **state)
{
  static const char *const kinds[] = { "ln -s /proc/sys/kernel/core_pattern %s/null", "echo x > %s/null" };
  const char *const rbind[] = { "rbind", NULL };
  size_t i;
  (void)state;
  for (i = 0; i < 2; i++)
    {
      struct env e;
      char dev[PATH_MAX + 16], before[256] = "", after[256] = "";
      husk_error_t err = NULL;
      char *t = NULL;
      env_init (&e);
      snprintf (dev, sizeof dev, "%s/fakedev", e.dir);
      assert_int_equal (mkdir (dev, 0755), 0);
      assert_int_equal (sh (kinds[i], dev), 0);
      add_mount (&e, "/dev", "bind", dev, rbind);
      if (husk_read_file ("/proc/sys/kernel/core_pattern", &t, NULL, &err) == 0)
        snprintf (before, sizeof before, "%s", t), free (t);
      expect_error (&e, "mask `/proc/keys`", "not the null device");
      if (husk_read_file ("/proc/sys/kernel/core_pattern", &t, NULL, &err) == 0)
        snprintf (after, sizeof after, "%s", t), free (t);
      assert_string_equal (before, after);
      env_free (&e);
    }
}

static void
test_errors_name_the_mount (void **state)
{
  struct env e;
  const char *const none[] = { NULL };
  const char *const bad[] = { "size=notanumber", NULL };
  (void)state;
  env_init (&e);
  add_mount (&e, "/mnt", "nosuchfs", "weird", none);
  expect_error (&e, "prepare: mount `weird` to `/mnt`: fsopen `nosuchfs`", "No such device");
  env_free (&e);
  env_init (&e);
  add_mount (&e, "/mnt", "tmpfs", "tmpfs", bad);
  expect_error (&e, "mount `tmpfs` to `/mnt`", "size");
  env_free (&e);
  env_init (&e);
  add_mount (&e, "/mnt", "bind", "/nonexistent-husk-source", none);
  expect_error (&e, "mount `/nonexistent-husk-source` to `/mnt`", "No such file");
  env_free (&e);
}

/* A host whose mounts are shared (systemd) and a rootfs that is a shared
 * mount point: pivot_root still works, and none of the container's mounts
 * propagates back, with the default rslave or with "slave"/"private". */
static void
test_shared_host_no_leak (void **state)
{
  static const char *const props[] = { NULL, "slave", "rprivate" };
  size_t i;
  (void)state;
  for (i = 0; i < 3; i++)
    {
      struct env e;
      env_init (&e);
      e.shared_host = true;
      if (props[i])
        json_object_object_add (linux_obj (&e), "rootfsPropagation", json_object_new_string (props[i]));
      expect_ok (&e, BASE_FLAGS, check_default, NULL);
      env_free (&e);
    }
}

/* After all of the above, the host has no mount from any test. */
static void
test_no_host_mounts_left (void **state)
{
  char *text = NULL;
  husk_error_t err = NULL;
  (void)state;
  if (!have_root)
    skip ();
  assert_int_equal (husk_read_file ("/proc/self/mountinfo", &text, NULL, &err), 0);
  assert_null (strstr (text, tmpdir));
  free (text);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_symlink_escape),        cmocka_unit_test (test_symlink_dangling_refused),
    cmocka_unit_test (test_proc_symlink_refused),  cmocka_unit_test (test_mount_over_proc_refused),
    cmocka_unit_test (test_lxcfs_style_allowed),   cmocka_unit_test (test_masked_devnull_swapped),
    cmocka_unit_test (test_errors_name_the_mount), cmocka_unit_test (test_shared_host_no_leak),
    cmocka_unit_test (test_no_host_mounts_left),
  };
  return cmocka_run_group_tests (tests, setup, teardown);
}
