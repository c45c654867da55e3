/* The rootfs module against the real kernel (harness: rootfs_harness.h):
 * the default spec's mounts, devices, masked and read-only paths, --no-pivot,
 * cgroup mounts, options, propagation and user namespaces. Needs root. */
#include "rootfs_harness.h"

static void
test_default_config (void **state)
{
  struct env e;
  (void)state;
  env_init (&e);
  expect_ok (&e, BASE_FLAGS, check_default, NULL);
  env_free (&e);
}

static void
test_no_pivot (void **state)
{
  struct env e;
  (void)state;
  env_init (&e);
  e.opts.no_pivot = true;
  expect_ok (&e, BASE_FLAGS, check_default, NULL);
  env_free (&e);
}

static void
test_cgroup_mount (void **state)
{
  struct env e;
  (void)state;
  env_init (&e);
  expect_ok (&e, BASE_FLAGS, check_cgroup_v1, NULL);
  env_free (&e);
}

static void
test_cgroup_mount_cgroupns (void **state)
{
  struct env e;
  json_object *ns = json_object_new_array (), *cg = json_object_new_object ();
  (void)state;
  env_init (&e);
  json_object_object_add (cg, "type", json_object_new_string ("cgroup"));
  json_object_array_add (ns, cg);
  json_object_object_add (linux_obj (&e), "namespaces", ns);
  expect_ok (&e, BASE_FLAGS | CLONE_NEWCGROUP, check_cgroup_v1, NULL);
  env_free (&e);
}

static void
test_bind_and_tmpfs_options (void **state)
{
  struct env e;
  char data[PATH_MAX + 16], file[PATH_MAX + 16], dev[PATH_MAX + 16];
  const char *const nosuid_ro[] = { "rbind", "ro", "nosuid", NULL };
  const char *const rro[] = { "rbind", "rro", NULL };
  const char *const ro[] = { "rbind", "ro", NULL };
  const char *const fro[] = { "bind", "ro", NULL };
  const char *const run[] = { "nosuid", "nodev", "mode=700", NULL };
  const char *const tmp[] = { "nosuid", "tmpcopyup", NULL };
  const char *const none[] = { NULL };
  (void)state;
  env_init (&e);
  snprintf (data, sizeof data, "%s/data", e.dir);
  snprintf (file, sizeof file, "%s/hostfile", e.dir);
  assert_int_equal (sh ("mkdir -p %s && echo hello > %s/f && echo conf > %s", data, data, file), 0);
  assert_int_equal (sh ("mkdir -p %s/tmp/keep && touch %s/tmp/keep/me", e.rootfs, e.rootfs), 0);
  /* The container's own /dev, with its submounts, as an rbind source. */
  snprintf (dev, sizeof dev, "%s/dev", e.rootfs);
  add_mount (&e, "/data", "bind", data, nosuid_ro);
  /* Relative to the bundle (e.dir), not to the cwd. */
  e.opts.bundle = e.dir;
  add_mount (&e, "/reldata", "bind", "data", ro);
  add_mount (&e, "/devro", "bind", dev, rro);
  add_mount (&e, "/devrw", NULL, dev, ro);
  add_mount (&e, "/etc/hostfile.conf", "none", file, fro);
  assert_int_equal (sh ("ln -s ../var/resolv.conf %s/etc/resolv.conf", e.rootfs), 0);
  add_mount (&e, "/etc/resolv.conf", NULL, file, fro);
  add_mount (&e, "/run", "tmpfs", "tmpfs", run);
  add_mount (&e, "/tmp", "tmpfs", "tmpfs", tmp);
  add_mount (&e, "/mnt/new/dir", "tmpfs", "tmpfs", none);
  expect_ok (&e, BASE_FLAGS, check_binds, NULL);
  env_free (&e);
}

static void
test_linux_devices (void **state)
{
  struct env e;
  json_object *devs = json_tokener_parse (
      "[{\"path\": \"/dev/fuse\", \"type\": \"c\", \"major\": 10, \"minor\": 229, \"fileMode\": 384,"
      " \"uid\": 1000, \"gid\": 1001},"
      " {\"path\": \"/dev/deep/er/kmsg\", \"type\": \"u\", \"major\": 1, \"minor\": 11},"
      " {\"path\": \"/dev/fifo0\", \"type\": \"p\"},"
      " {\"path\": \"/dev/null\", \"type\": \"c\", \"major\": 1, \"minor\": 3, \"fileMode\": 432}]");
  (void)state;
  assert_non_null (devs);
  env_init (&e);
  json_object_object_add (linux_obj (&e), "devices", devs);
  expect_ok (&e, BASE_FLAGS, check_devices, NULL);
  env_free (&e);
}

static void
test_user_namespace (void **state)
{
  struct env e;
  (void)state;
  env_init (&e);
  e.opts.in_userns = true;
  expect_ok (&e, BASE_FLAGS | CLONE_NEWUSER, check_userns, NULL);
  env_free (&e);
}

/* As with a real user-namespaced container: root is host uid 100000 and
 * owns the rootfs. */
static void
test_user_namespace_mapped (void **state)
{
  struct env e;
  (void)state;
  env_init (&e);
  assert_int_equal (sh ("chown -R 100000:100000 %s", e.rootfs), 0);
  e.opts.in_userns = true;
  e.idmap = "0 100000 65536\n";
  expect_ok (&e, BASE_FLAGS | CLONE_NEWUSER, check_mapped_userns, NULL);
  env_free (&e);
}

static void
test_rootfs_propagation (void **state)
{
  struct env e;
  (void)state;
  env_init (&e);
  json_object_object_add (linux_obj (&e), "rootfsPropagation", json_object_new_string ("rshared"));
  expect_ok (&e, BASE_FLAGS, check_shared, NULL);
  env_free (&e);
  env_init (&e);
  json_object_object_add (linux_obj (&e), "rootfsPropagation", json_object_new_string ("bogus"));
  expect_error (&e, "rootfsPropagation", "bogus");
  env_free (&e);
}

/* /dev with "ro" is filled first and made read-only at the end. */
static void
test_dev_readonly (void **state)
{
  struct env e;
  json_object *mounts = NULL, *dev, *opts;
  (void)state;
  env_init (&e);
  json_object_object_get_ex (e.cfg, "mounts", &mounts);
  dev = json_object_array_get_idx (mounts, 1);
  json_object_object_get_ex (dev, "options", &opts);
  json_object_array_add (opts, json_object_new_string ("ro"));
  expect_ok (&e, BASE_FLAGS, check_dev_ro, NULL);
  env_free (&e);
}

/* "remount" reconfigures an earlier mount (data via fspick, flags via
 * mount_setattr); propagation options apply per mount. */
static void
test_remount_and_propagation_options (void **state)
{
  static const char *const first[] = { "nosuid", "size=1m", NULL };
  static const char *const again[] = { "remount", "ro", "size=2m", NULL };
  static const char *const shared[] = { "shared", NULL };
  struct env e;
  (void)state;
  env_init (&e);
  add_mount (&e, "/mnt/r", "tmpfs", "tmpfs", first);
  add_mount (&e, "/mnt/r", "tmpfs", "tmpfs", again);
  add_mount (&e, "/mnt/s", "tmpfs", "tmpfs", shared);
  expect_ok (&e, BASE_FLAGS, check_remount_propagation, NULL);
  env_free (&e);
}

/* A user namespace without a network namespace may not mount sysfs: the
 * host's /sys is bound instead, as runc does. */
static void
test_user_namespace_sysfs_fallback (void **state)
{
  struct env e;
  (void)state;
  env_init (&e);
  e.opts.in_userns = true;
  expect_ok (&e, (BASE_FLAGS & ~CLONE_NEWNET) | CLONE_NEWUSER, check_sys_bound, NULL);
  env_free (&e);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_default_config),
    cmocka_unit_test (test_no_pivot),
    cmocka_unit_test (test_cgroup_mount),
    cmocka_unit_test (test_cgroup_mount_cgroupns),
    cmocka_unit_test (test_bind_and_tmpfs_options),
    cmocka_unit_test (test_linux_devices),
    cmocka_unit_test (test_user_namespace),
    cmocka_unit_test (test_user_namespace_mapped),
    cmocka_unit_test (test_rootfs_propagation),
    cmocka_unit_test (test_dev_readonly),
    cmocka_unit_test (test_remount_and_propagation_options),
    cmocka_unit_test (test_user_namespace_sysfs_fallback),
  };
  return cmocka_run_group_tests (tests, setup, teardown);
}
