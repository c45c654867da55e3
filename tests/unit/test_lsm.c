/* LSM labels on a host without that LSM: a clear error, never silent
   success (the user would believe the container is confined).  */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "linux/lsm.h"

static void
expect_check_error (struct husk_config *cfg, const char *what)
{
  husk_error_t err = NULL;
  assert_int_equal (husk_lsm_check (cfg, NULL, &err), -1);
  if (strstr (err->msg, what) == NULL)
    fail_msg ("`%s` does not mention `%s`", err->msg, what);
  husk_error_free (&err);
}

static void
test_labels_without_lsm (void **state)
{
  struct husk_process p;
  struct husk_config cfg;
  husk_error_t err = NULL;
  (void)state;
  memset (&p, 0, sizeof p);
  memset (&cfg, 0, sizeof cfg);
  cfg.process = &p;
  assert_int_equal (husk_lsm_check (&cfg, NULL, &err), 0);
  assert_int_equal (husk_lsm_apply (&p, &err), 0);
  if (!husk_lsm_enabled ("apparmor"))
    {
      p.apparmor_profile = (char *)"docker-default";
      expect_check_error (&cfg,
                          "process.apparmorProfile `docker-default` is set, but AppArmor is not enabled");
      assert_int_equal (husk_lsm_apply (&p, &err), -1);
      husk_error_free (&err);
      p.apparmor_profile = (char *)""; /* empty means unconfined-by-default, as in runc */
      assert_int_equal (husk_lsm_check (&cfg, NULL, &err), 0);
    }
  if (!husk_lsm_enabled ("selinux"))
    {
      p.selinux_label = (char *)"system_u:system_r:container_t:s0";
      expect_check_error (&cfg, "process.selinuxLabel");
      assert_int_equal (husk_lsm_apply (&p, &err), -1);
      husk_error_free (&err);
      p.selinux_label = NULL;
      cfg.mount_label = (char *)"system_u:object_r:container_file_t:s0";
      expect_check_error (&cfg, "linux.mountLabel");
    }
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_labels_without_lsm),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
