/* Mount option parsing: flags, clears, propagation, recursive attrs,
 * leftovers as filesystem data, and rootfsPropagation values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>
#include <sys/mount.h>

#include "linux/rootfs.h"

struct flag_case
{
  const char *opts[6];
  unsigned long flags, clear;
};

static void
parse (const char *const *opts, struct husk_mount_flags *f)
{
  husk_error_t err = NULL;
  size_t n = 0;
  while (opts[n])
    n++;
  assert_int_equal (husk_mount_parse_options ((char *const *)opts, n, f, &err), 0);
  assert_null (err);
}

static void
test_flags (void **state)
{
  static const struct flag_case cases[] = {
    { { "ro", NULL }, MS_RDONLY, 0 },
    { { "rw", NULL }, 0, MS_RDONLY },
    { { "ro", "rw", NULL }, 0, MS_RDONLY },
    { { "rw", "ro", NULL }, MS_RDONLY, 0 },
    { { "nosuid", "nodev", "noexec", NULL }, MS_NOSUID | MS_NODEV | MS_NOEXEC, 0 },
    { { "suid", "dev", "exec", NULL }, 0, MS_NOSUID | MS_NODEV | MS_NOEXEC },
    { { "sync", "dirsync", NULL }, MS_SYNCHRONOUS | MS_DIRSYNC, 0 },
    { { "async", NULL }, 0, MS_SYNCHRONOUS },
    { { "remount", "mand", NULL }, MS_REMOUNT | MS_MANDLOCK, 0 },
    { { "noatime", "nodiratime", NULL }, MS_NOATIME | MS_NODIRATIME, 0 },
    { { "relatime", NULL }, MS_RELATIME, 0 },
    { { "strictatime", NULL }, MS_STRICTATIME, 0 },
    { { "atime", "diratime", NULL }, 0, MS_NOATIME | MS_NODIRATIME },
    { { "norelatime", "nostrictatime", NULL }, 0, MS_RELATIME | MS_STRICTATIME },
    { { "bind", NULL }, MS_BIND, 0 },
    { { "rbind", NULL }, MS_BIND | MS_REC, 0 },
    { { "defaults", NULL }, 0, 0 },
    { { "nosymfollow", NULL }, MS_NOSYMFOLLOW, 0 },
    { { "lazytime", NULL }, MS_LAZYTIME, 0 },
  };
  size_t i;
  (void)state;
  for (i = 0; i < sizeof (cases) / sizeof (cases[0]); i++)
    {
      struct husk_mount_flags f;
      parse (cases[i].opts, &f);
      assert_int_equal (f.flags, cases[i].flags);
      assert_int_equal (f.clear, cases[i].clear);
      assert_null (f.data);
      husk_mount_flags_free (&f);
    }
}

static void
test_bind_recursive (void **state)
{
  static const char *const b[] = { "bind", "ro", NULL };
  static const char *const rb[] = { "rbind", "nosuid", NULL };
  struct husk_mount_flags f;
  (void)state;
  parse (b, &f);
  assert_true (f.bind);
  assert_false (f.recursive);
  assert_int_equal (f.flags, MS_BIND | MS_RDONLY);
  parse (rb, &f);
  assert_true (f.bind);
  assert_true (f.recursive);
}

static void
test_propagation (void **state)
{
  static const struct
  {
    const char *opt;
    unsigned long prop;
  } cases[] = {
    { "private", MS_PRIVATE },       { "rprivate", MS_PRIVATE | MS_REC },
    { "shared", MS_SHARED },         { "rshared", MS_SHARED | MS_REC },
    { "slave", MS_SLAVE },           { "rslave", MS_SLAVE | MS_REC },
    { "unbindable", MS_UNBINDABLE }, { "runbindable", MS_UNBINDABLE | MS_REC },
  };
  size_t i;
  (void)state;
  for (i = 0; i < sizeof (cases) / sizeof (cases[0]); i++)
    {
      const char *opts[] = { "nosuid", cases[i].opt, NULL };
      struct husk_mount_flags f;
      husk_error_t err = NULL;
      unsigned long root_prop;
      parse (opts, &f);
      assert_int_equal (f.propagation, cases[i].prop);
      assert_int_equal (f.flags, MS_NOSUID);
      assert_false (f.recursive);
      /* rootfsPropagation takes the same words. */
      assert_int_equal (husk_rootfs_propagation_flags (cases[i].opt, &root_prop, &err), 0);
      assert_int_equal (root_prop, cases[i].prop);
    }
}

static void
test_recursive_attrs (void **state)
{
  static const char *const a[] = { "rro", "rnosuid", "rnodev", "rnoexec", NULL };
  static const char *const b[] = { "rro", "rrw", "rsuid", NULL };
  static const char *const c[] = { "rnoatime", NULL };
  static const char *const d[] = { "rnoatime", "rstrictatime", NULL };
  static const char *const e[] = { "rnosymfollow", "rnodiratime", NULL };
  struct husk_mount_flags f;
  (void)state;
  parse (a, &f);
  assert_int_equal (f.attr_set, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
  assert_int_equal (f.attr_clr, 0);
  assert_int_equal (f.flags, 0);
  parse (b, &f);
  assert_int_equal (f.attr_set, 0);
  assert_int_equal (f.attr_clr, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID);
  parse (c, &f);
  assert_int_equal (f.attr_set, MOUNT_ATTR_NOATIME);
  assert_int_equal (f.attr_clr, MOUNT_ATTR__ATIME);
  parse (d, &f);
  assert_int_equal (f.attr_set, MOUNT_ATTR_STRICTATIME);
  assert_int_equal (f.attr_clr, MOUNT_ATTR__ATIME);
  parse (e, &f);
  assert_int_equal (f.attr_set, MOUNT_ATTR_NOSYMFOLLOW | MOUNT_ATTR_NODIRATIME);
}

static void
test_data (void **state)
{
  static const char *const a[] = { "nosuid", "mode=755", "size=65536k", "ro", NULL };
  static const char *const b[] = { "newinstance", "ptmxmode=0666", "mode=0620", "gid=5", NULL };
  static const char *const c[] = { "nosuid", "", "tmpcopyup", NULL };
  struct husk_mount_flags f;
  (void)state;
  parse (a, &f);
  assert_string_equal (f.data, "mode=755,size=65536k");
  assert_int_equal (f.flags, MS_NOSUID | MS_RDONLY);
  husk_mount_flags_free (&f);
  assert_null (f.data);
  parse (b, &f);
  assert_string_equal (f.data, "newinstance,ptmxmode=0666,mode=0620,gid=5");
  husk_mount_flags_free (&f);
  parse (c, &f);
  assert_null (f.data);
  assert_true (f.copyup);
}

static void
test_idmap_unsupported (void **state)
{
  static const char *const a[] = { "rbind", "size=1", "idmap", NULL };
  static const char *const b[] = { "ridmap", NULL };
  struct husk_mount_flags f;
  husk_error_t err = NULL;
  (void)state;
  assert_true (husk_mount_parse_options ((char *const *)a, 3, &f, &err) < 0);
  assert_non_null (err);
  assert_int_equal (err->errno_, ENOTSUP);
  assert_non_null (strstr (err->msg, "idmap"));
  assert_null (f.data);
  husk_error_free (&err);
  assert_true (husk_mount_parse_options ((char *const *)b, 1, &f, &err) < 0);
  assert_non_null (strstr (err->msg, "ridmap"));
  husk_error_free (&err);
}

static void
test_count_and_null (void **state)
{
  static const char *const a[] = { "ro", "nosuid", NULL };
  struct husk_mount_flags f;
  husk_error_t err = NULL;
  (void)state;
  /* n limits the list even without a NULL. */
  assert_int_equal (husk_mount_parse_options ((char *const *)a, 1, &f, &err), 0);
  assert_int_equal (f.flags, MS_RDONLY);
  assert_int_equal (husk_mount_parse_options (NULL, 0, &f, &err), 0);
  assert_int_equal (f.flags, 0);
  assert_null (f.data);
}

static void
test_root_propagation (void **state)
{
  husk_error_t err = NULL;
  unsigned long p = 1;
  (void)state;
  assert_int_equal (husk_rootfs_propagation_flags (NULL, &p, &err), 0);
  assert_int_equal (p, 0);
  assert_int_equal (husk_rootfs_propagation_flags ("", &p, &err), 0);
  assert_int_equal (p, 0);
  assert_true (husk_rootfs_propagation_flags ("sharedd", &p, &err) < 0);
  assert_non_null (strstr (err->msg, "rootfsPropagation"));
  assert_non_null (strstr (err->msg, "sharedd"));
  husk_error_free (&err);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_flags),          cmocka_unit_test (test_bind_recursive),
    cmocka_unit_test (test_propagation),    cmocka_unit_test (test_recursive_attrs),
    cmocka_unit_test (test_data),           cmocka_unit_test (test_idmap_unsupported),
    cmocka_unit_test (test_count_and_null), cmocka_unit_test (test_root_propagation),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
