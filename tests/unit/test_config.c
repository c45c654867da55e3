/* config.json parsing: good configs, and bad ones whose errors must name
 * the field (JSON path) or the line and column. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "oci/config.h"

static struct husk_config *
parse_ok (const char *text)
{
  struct husk_config *cfg = NULL;
  husk_error_t err = NULL;
  int r = husk_config_parse (text, strlen (text), "config.json", true, &cfg, &err);
  if (r < 0)
    fail_msg ("unexpected error: %s", err->msg);
  return cfg;
}

static void
expect_error (const char *text, const char *needle)
{
  struct husk_config *cfg = NULL;
  husk_error_t err = NULL;
  int r = husk_config_parse (text, strlen (text), "config.json", true, &cfg, &err);
  assert_int_equal (r, -1);
  assert_null (cfg);
  assert_non_null (err);
  if (strstr (err->msg, needle) == NULL)
    fail_msg ("error `%s` does not contain `%s`", err->msg, needle);
  husk_error_free (&err);
}

#define MIN_PROC "\"process\":{\"cwd\":\"/\",\"args\":[\"sh\"],\"user\":{\"uid\":0,\"gid\":0}}"
#define BASE "{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"rootfs\"}," MIN_PROC

static void
test_minimal (void **state)
{
  struct husk_config *cfg = parse_ok (BASE "}");
  assert_string_equal (cfg->root_path, "rootfs");
  assert_string_equal (cfg->process->args[0], "sh");
  assert_null (cfg->process->args[1]);
  assert_false (cfg->process->caps.present);
  husk_config_free (cfg);
}

static void
test_full (void **state)
{
  const char *text
      = "{\"ociVersion\":\"1.3.0\",\"root\":{\"path\":\"/r\",\"readonly\":true},\"hostname\":\"h\","
        "\"unknownField\":{\"x\":1},"
        "\"process\":{\"terminal\":true,\"consoleSize\":{\"height\":24,\"width\":80},\"cwd\":\"/tmp\","
        "\"args\":[\"a\",\"b\"],\"env\":[\"A=1\"],\"user\":{\"uid\":1000,\"gid\":100,\"umask\":18,"
        "\"additionalGids\":[5,6]},\"capabilities\":{\"bounding\":[\"CAP_KILL\",\"cap_chown\"],"
        "\"ambient\":[\"CAP_NET_RAW\"]},\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"soft\":10,\"hard\":"
        "18446744073709551615}],\"oomScoreAdj\":-5,\"noNewPrivileges\":true},"
        "\"mounts\":[{\"destination\":\"/"
        "proc\",\"type\":\"proc\",\"source\":\"proc\",\"options\":[\"nosuid\"]}],"
        "\"hooks\":{\"poststop\":[{\"path\":\"/bin/true\",\"args\":[\"true\"],\"timeout\":3}]},"
        "\"linux\":{\"namespaces\":[{\"type\":\"uts\"},{\"type\":\"user\"},{\"type\":\"network\",\"path\":\"/"
        "x\"}],"
        "\"uidMappings\":[{\"containerID\":0,\"hostID\":1000,\"size\":10}],"
        "\"gidMappings\":[{\"containerID\":0,\"hostID\":1000,\"size\":10}],"
        "\"devices\":[{\"path\":\"/dev/fuse\",\"type\":\"c\",\"major\":10,\"minor\":229,\"fileMode\":438}],"
        "\"sysctl\":{\"net.ipv4.ip_forward\":\"1\"},\"maskedPaths\":[\"/proc/kcore\"],"
        "\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\"},\"cgroupsPath\":\"/a/b\"}}";
  struct husk_config *cfg = parse_ok (text);
  struct husk_process *p = cfg->process;
  assert_true (cfg->root_readonly);
  assert_true (p->terminal);
  assert_int_equal (p->console_width, 80);
  assert_int_equal (p->uid, 1000);
  assert_int_equal (p->umask, 022);
  assert_int_equal (p->n_additional_gids, 2);
  assert_int_equal (p->caps.bounding, (1ULL << 5) | (1ULL << 0));
  assert_int_equal (p->caps.ambient, 1ULL << 13);
  assert_int_equal (p->rlimits[0].hard, UINT64_MAX);
  assert_int_equal (p->oom_score_adj, -5);
  assert_int_equal (cfg->n_mounts, 1);
  assert_string_equal (cfg->mounts[0].options[0], "nosuid");
  assert_int_equal (cfg->hooks[HUSK_HOOK_POSTSTOP].n, 1);
  assert_int_equal (cfg->hooks[HUSK_HOOK_POSTSTOP].hooks[0].timeout, 3);
  assert_true (cfg->ns[HUSK_NS_USER].present);
  assert_null (cfg->ns[HUSK_NS_USER].path);
  assert_string_equal (cfg->ns[HUSK_NS_NET].path, "/x");
  assert_false (cfg->ns[HUSK_NS_PID].present);
  assert_int_equal (cfg->uid_mappings[0].host_id, 1000);
  assert_int_equal (cfg->devices[0].file_mode, 438);
  assert_string_equal (cfg->sysctl[0].key, "net.ipv4.ip_forward");
  assert_non_null (cfg->seccomp);
  assert_string_equal (cfg->cgroups_path, "/a/b");
  husk_config_free (cfg);
}

static void
test_syntax_error_line_col (void **state)
{
  expect_error ("{\n  \"ociVersion\": \"1.0.0\",\n  \"root\": {\"path\": \"r\"},,\n}", "line 3, column 25");
  expect_error ("{\"ociVersion\": ", "line 1");
  expect_error ("", "invalid JSON");
}

static void
test_field_errors (void **state)
{
  expect_error ("{\"root\":{\"path\":\"r\"}," MIN_PROC "}", "ociVersion: missing");
  expect_error ("{\"ociVersion\":\"2.0.0\",\"root\":{\"path\":\"r\"}," MIN_PROC "}",
                "unsupported version `2.0.0`");
  expect_error ("{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"r\"}}", "process: missing");
  expect_error ("{\"ociVersion\":\"1.0.0\"," MIN_PROC "}", "root: missing");
  expect_error (
      "{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"r\"},\"process\":{\"cwd\":\"/\",\"args\":[1]}}",
      "process.args[0]: expected a string");
  expect_error (
      "{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"r\"},\"process\":{\"cwd\":\"rel\",\"args\":[\"a\"]}}",
      "process.cwd: `rel` is not an absolute path");
  expect_error (BASE ",\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"bogus\"}]}}",
                "linux.namespaces[1].type: unknown namespace type `bogus`");
  expect_error (BASE ",\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"pid\"}]}}", "listed twice");
  expect_error (
      "{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"r\"},\"process\":{\"cwd\":\"/\",\"args\":[\"a\"],"
      "\"capabilities\":{\"effective\":[\"CAP_KILL\",\"CAP_FLY\"]}}}",
      "process.capabilities.effective[1]: unknown capability `CAP_FLY`");
  expect_error (
      "{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"r\"},\"process\":{\"cwd\":\"/\",\"args\":[\"a\"],"
      "\"rlimits\":[{\"type\":\"RLIMIT_BOGUS\",\"soft\":1,\"hard\":1}]}}",
      "process.rlimits[0].type: unknown rlimit `RLIMIT_BOGUS`");
  expect_error (BASE ",\"mounts\":[{\"type\":\"proc\"}]}", "mounts[0].destination: missing");
  expect_error (BASE ",\"hostname\":\"x\"}", "needs a new UTS namespace");
  expect_error (BASE ",\"linux\":{\"namespaces\":[{\"type\":\"user\"}]}}", "needs uidMappings");
  expect_error (BASE ",\"hooks\":{\"prestart\":[{\"path\":\"rel\"}]}}", "hooks.prestart[0].path");
}

static void
test_versions (void **state)
{
  assert_true (husk_oci_version_supported ("1.0.0"));
  assert_true (husk_oci_version_supported ("1.0.2-dev"));
  assert_true (husk_oci_version_supported ("1.3.0"));
  assert_true (husk_oci_version_supported ("1.3.7"));
  assert_false (husk_oci_version_supported ("1.4.0"));
  assert_false (husk_oci_version_supported ("0.9"));
  assert_false (husk_oci_version_supported ("x"));
}

static void
test_names (void **state)
{
  assert_int_equal (husk_cap_from_name ("CAP_SYS_ADMIN"), 21);
  assert_int_equal (husk_cap_from_name ("CAP_NOPE"), -1);
  assert_string_equal (husk_cap_name (40), "CAP_CHECKPOINT_RESTORE");
  assert_int_equal (husk_ns_type_from_name ("network"), HUSK_NS_NET);
  assert_int_equal (husk_ns_type_from_name ("net"), -1);
  assert_string_equal (husk_ns_proc_name (HUSK_NS_MOUNT), "mnt");
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_minimal),
    cmocka_unit_test (test_full),
    cmocka_unit_test (test_syntax_error_line_col),
    cmocka_unit_test (test_field_errors),
    cmocka_unit_test (test_versions),
    cmocka_unit_test (test_names),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
