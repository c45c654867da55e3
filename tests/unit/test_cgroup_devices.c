/* Device rules enforced by the kernel: v1 devices.allow/deny through
 * husk_cgroup_create, and the v2 eBPF filter attached to a cgroup of the
 * unified hierarchy (which applies on hybrid hosts too). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "linux/cgroups/cgroup.h"
#include "linux/cgroups/cgroup_internal.h"
#include "oci/config.h"

static char v2dir[128];

/* Child: open each path with its flags; exit code has bit i set unless
 * open i failed with EPERM (the cgroup's answer). */
struct probe
{
  const char *path;
  int flags;
};

static int
run_probes (const char *procs_dir, struct husk_cgroup *cg, const struct probe *p, size_t n)
{
  int fds[2];
  assert_int_equal (pipe (fds), 0);
  pid_t pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      char c;
      int bits = 0;
      close (fds[1]);
      if (read (fds[0], &c, 1) != 1)
        _exit (255);
      for (size_t i = 0; i < n; i++)
        {
          int fd = open (p[i].path, p[i].flags | O_CLOEXEC);
          if (fd >= 0 || errno != EPERM)
            bits |= 1 << i;
          if (fd >= 0)
            close (fd);
        }
      _exit (bits);
    }
  close (fds[0]);
  husk_error_t err = NULL;
  if (cg)
    assert_int_equal (husk_cgroup_enter (cg, pid, &err), 0);
  else
    assert_int_equal (husk_cg_writef (procs_dir, "cgroup.procs", &err, "%d", pid), 0);
  assert_int_equal (write (fds[1], "x", 1), 1);
  close (fds[1]);
  int st;
  assert_int_equal (waitpid (pid, &st, 0), pid);
  assert_true (WIFEXITED (st));
  return WEXITSTATUS (st);
}

static void
test_bpf_filter (void **state)
{
  const char *base
      = access ("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0 ? "/sys/fs/cgroup" : "/sys/fs/cgroup/unified";
  husk_error_t err = NULL;
  if (access (base, F_OK) < 0)
    skip ();
  snprintf (v2dir, sizeof (v2dir), "%s/husk-test-bpf-%d", base, getpid ());
  assert_int_equal (mkdir (v2dir, 0755), 0);
  const struct husk_cg_dev_rule rules[] = {
    { true, 'a', -1, -1, "rwm" }, /* allow all ... */
    { false, 'c', 1, -1, "rwm" }, /* ... but no mem-class char device ... */
    { true, 'c', 1, 3, "rwm" },   /* ... except null ... */
    { true, 'c', 1, 5, "r" },     /* ... and zero read-only */
    { false, 'b', 7, -1, "rw" },  /* loop devices denied */
  };
  if (husk_cg_devices_bpf_apply (v2dir, rules, 5, &err) < 0)
    fail_msg ("%s", err->msg);
  /* Applying again replaces the program instead of stacking a second one. */
  if (husk_cg_devices_bpf_apply (v2dir, rules, 5, &err) < 0)
    fail_msg ("%s", err->msg);
  const struct probe p[] = {
    { "/dev/null", O_RDWR },   { "/dev/zero", O_RDONLY },  { "/dev/zero", O_WRONLY },
    { "/dev/kmsg", O_RDONLY }, { "/dev/loop0", O_RDONLY }, { "/dev/tty", O_RDONLY | O_NOCTTY | O_NONBLOCK },
  };
  int bits = run_probes (v2dir, NULL, p, 6);
  assert_int_equal (bits & 1, 1);   /* null rw */
  assert_int_equal (bits & 2, 2);   /* zero r */
  assert_int_equal (bits & 4, 0);   /* zero w denied */
  assert_int_equal (bits & 8, 0);   /* kmsg denied */
  assert_int_equal (bits & 16, 0);  /* loop0 denied */
  assert_int_equal (bits & 32, 32); /* tty (5:0): "allow all" (ENXIO at most) */
}

static int
teardown_bpf (void **state)
{
  if (v2dir[0])
    rmdir (v2dir);
  v2dir[0] = '\0';
  return 0;
}

/* husk_cgroup_create: spec rules first, then runc's defaults and
 * linux.devices; everything else denied. */
static void
test_create_device_rules (void **state)
{
  husk_error_t err = NULL;
  struct husk_cgroup *cg = NULL;
  struct husk_config *cfg = NULL;
  char text[1024];
  snprintf (
      text, sizeof (text),
      "{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"r\"},\"linux\":{\"cgroupsPath\":\"/husk-test-dev-%d\","
      "\"devices\":[{\"path\":\"/dev/kmsg\",\"type\":\"c\",\"major\":1,\"minor\":11}],"
      "\"resources\":{\"devices\":[{\"allow\":false,\"access\":\"rwm\"},"
      "{\"allow\":false,\"type\":\"c\",\"major\":1,\"minor\":3,\"access\":\"rwm\"}]}}}",
      getpid ());
  if (husk_config_parse (text, strlen (text), "t", false, &cfg, &err) < 0)
    fail_msg ("%s", err->msg);
  if (husk_cgroup_create (cfg, "x", &cg, &err) < 0)
    fail_msg ("%s", err->msg);
  const struct probe p[] = {
    { "/dev/null", O_RDWR },
    { "/dev/kmsg", O_RDONLY },
    { "/dev/loop0", O_RDONLY },
  };
  int bits = run_probes (NULL, cg, p, 3);
  assert_int_equal (bits & 1, 1); /* null: the default rules re-allow it */
  assert_int_equal (bits & 2, 2); /* kmsg: listed in linux.devices */
  assert_int_equal (bits & 4, 0); /* loop0: denied */
  if (cg->layout != HUSK_CG_V2)
    {
      char *list = NULL;
      assert_int_equal (husk_cg_read (husk_cg_dir_v1 (cg, "devices"), "devices.list", &list, &err), 0);
      assert_non_null (strstr (list, "c 1:3 rwm"));
      assert_null (strstr (list, "a *:* rwm"));
      free (list);
    }
  assert_int_equal (husk_cgroup_destroy (cg, &err), 0);
  husk_cgroup_free (cg);
  husk_config_free (cfg);
}

static void
test_parse_errors (void **state)
{
  husk_error_t err = NULL;
  struct husk_cg_res res;
  json_object *o = json_tokener_parse ("{\"devices\":[{\"allow\":true,\"type\":\"x\"}]}");
  assert_int_equal (husk_cg_res_parse (o, "linux.resources", &res, &err), -1);
  assert_string_equal (err->msg, "linux.resources.devices[0].type: `x` is not one of a, c, b");
  husk_error_free (&err);
  json_object_put (o);
  o = json_tokener_parse ("{\"memory\":{\"limit\":\"1g\"}}");
  assert_int_equal (husk_cg_res_parse (o, "linux.resources", &res, &err), -1);
  assert_non_null (strstr (err->msg, "linux.resources.memory.limit: "));
  husk_error_free (&err);
  json_object_put (o);
  o = json_tokener_parse ("{\"unified\":{\"../../etc/passwd\":\"x\"}}");
  assert_int_equal (husk_cg_res_parse (o, "linux.resources", &res, &err), -1);
  husk_error_free (&err);
  json_object_put (o);
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
    cmocka_unit_test (test_parse_errors),
    cmocka_unit_test_teardown (test_bpf_filter, teardown_bpf),
    cmocka_unit_test (test_create_device_rules),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
