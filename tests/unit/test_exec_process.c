/* Unit tests for the process `exec` builds: runc's rules for combining the
 * container's process.* with the command line, the environment, and the
 * --cgroup argument checks (those that need no cgroup filesystem). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "container/exec.h"

static const char config[]
    = "{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"rootfs\"},"
      "\"process\":{\"terminal\":true,\"user\":{\"uid\":0,\"gid\":0,\"additionalGids\":[3]},"
      "\"args\":[\"sh\"],\"env\":[\"PATH=/bin\",\"TERM=xterm\"],\"cwd\":\"/\","
      "\"capabilities\":{\"bounding\":[\"CAP_KILL\"],\"effective\":[\"CAP_KILL\"],"
      "\"permitted\":[\"CAP_KILL\"],\"inheritable\":[\"CAP_NET_RAW\"]}}}";

static struct husk_config *
load (void)
{
  struct husk_config *cfg = NULL;
  husk_error_t err = NULL;
  if (husk_config_parse (config, strlen (config), "config.json", false, &cfg, &err) < 0)
    fail_msg ("config: %s", err->msg);
  return cfg;
}

static struct husk_process *
build (struct husk_exec_opts *o, struct husk_config *cfg, husk_error_t *err)
{
  struct husk_process *p = NULL;
  json_object *keep = NULL;
  if (husk_exec_build_process (o, cfg, &p, &keep, err) < 0)
    return NULL;
  assert_null (keep);
  return p;
}

static void
test_flags_override_the_config (void **state)
{
  char *args[] = { "echo", "hi", NULL }, *env[] = { "TERM=dumb", "NEW=1", NULL };
  char *gids[] = { "7", NULL }, *caps[] = { "sys_admin", "CAP_NET_RAW", NULL };
  struct husk_exec_opts o = { .args = args, .env = env, .additional_gids = gids, .caps = caps,
                              .user = "1000:1001", .cwd = "/tmp", .no_new_privs = true };
  struct husk_config *cfg = load ();
  husk_error_t err = NULL;
  struct husk_process *p = build (&o, cfg, &err);
  (void) state;
  assert_non_null (p);
  assert_string_equal (p->args[0], "echo");
  assert_string_equal (p->args[1], "hi");
  assert_null (p->args[2]);
  assert_int_equal (p->uid, 1000);
  assert_int_equal (p->gid, 1001);
  assert_int_equal (p->n_additional_gids, 2);
  assert_int_equal (p->additional_gids[1], 7);
  assert_string_equal (p->cwd, "/tmp");
  assert_true (p->no_new_privileges);
  /* exec without -t never inherits the saved terminal. */
  assert_false (p->terminal);
  assert_true (p->caps.bounding & (1ULL << 21));
  assert_true (p->caps.effective & (1ULL << 21));
  /* Ambient only for a capability that is inheritable too. */
  assert_false (p->caps.ambient & (1ULL << 21));
  assert_true (p->caps.ambient & (1ULL << 13));
  husk_process_free (p);
  husk_config_free (cfg);
}

static void
test_bad_flags_are_errors (void **state)
{
  char *args[] = { "true", NULL }, *bad_env[] = { "NOEQUALS", NULL }, *bad_cap[] = { "CAP_NOPE", NULL };
  struct { struct husk_exec_opts o; const char *want; } cases[] = {
    { { .args = args, .user = "abc" }, "--user" },
    { { .args = args, .user = "1:-2" }, "--user" },
    { { .args = args, .cwd = "relative" }, "--cwd" },
    { { .args = args, .env = bad_env }, "--env" },
    { { .args = args, .caps = bad_cap }, "--cap" },
    { { .args = NULL }, "no command" },
  };
  (void) state;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      struct husk_config *cfg = load ();
      husk_error_t err = NULL;
      assert_null (build (&cases[i].o, cfg, &err));
      assert_non_null (err);
      if (strstr (err->msg, cases[i].want) == NULL)
        fail_msg ("case %zu: `%s` does not mention `%s`", i, err->msg, cases[i].want);
      husk_error_free (&err);
      husk_config_free (cfg);
    }
}

static void
test_env_last_wins_and_home (void **state)
{
  char *env[] = { "A=1", "PATH=/bin", "A=2", "B=x", NULL };
  char *with_home[] = { "HOME=/h", "HOME=/h2", NULL };
  char *home = NULL;
  char **v = husk_exec_env (env, "/root", &home);
  (void) state;
  assert_string_equal (v[0], "PATH=/bin");
  assert_string_equal (v[1], "A=2");
  assert_string_equal (v[2], "B=x");
  assert_string_equal (v[3], "HOME=/root");
  assert_null (v[4]);
  free (v);
  free (home);
  v = husk_exec_env (with_home, "/root", &home);
  assert_string_equal (v[0], "HOME=/h2");
  assert_null (v[1]);
  assert_null (home);
  free (v);
}

static void
test_cgroup_argument_checks (void **state)
{
  char *escape[] = { "pids:../x", NULL }, *twice[] = { "a", "b", NULL }, *dup[] = { "cpu:a", "cpu,memory:b", NULL };
  char *empty[] = { ":x", NULL }, *ok[] = { "pids:sub", NULL };
  struct { char **args; const char *want; } cases[] = {
    { escape, "inside" }, { twice, "more than one" }, { dup, "more than once" }, { empty, "empty" },
    { ok, "no cgroup" },
  };
  (void) state;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      husk_error_t err = NULL;
      assert_int_equal (husk_exec_enter_cgroup (NULL, cases[i].args, 1, &err), -1);
      if (strstr (err->msg, cases[i].want) == NULL)
        fail_msg ("case %zu: `%s` does not mention `%s`", i, err->msg, cases[i].want);
      husk_error_free (&err);
    }
  /* No cgroup and no --cgroup: nothing to do. */
  assert_int_equal (husk_exec_enter_cgroup (NULL, NULL, 1, NULL), 0);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_flags_override_the_config),
    cmocka_unit_test (test_bad_flags_are_errors),
    cmocka_unit_test (test_env_last_wins_and_home),
    cmocka_unit_test (test_cgroup_argument_checks),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
