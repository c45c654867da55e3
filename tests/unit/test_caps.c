/* husk_process_set_identity in a forked child, observed the way a user
   would: /proc/self/status before and after execve.  */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "linux/caps.h"

#define B(c) (UINT64_C (1) << (c))

/* Value of "Key:" in /proc/self/status text.  */
static char *
status_field (const char *status, const char *key)
{
  static char val[256];
  const char *p = status;
  size_t kl = strlen (key);
  while (p && *p)
    {
      if (strncmp (p, key, kl) == 0 && p[kl] == ':')
        {
          const char *v = p + kl + 1, *e;
          while (*v == ' ' || *v == '\t')
            v++;
          e = strchr (v, '\n');
          snprintf (val, sizeof val, "%.*s", (int)(e ? e - v : (long)strlen (v)), v);
          for (e = val + strlen (val); e > val && e[-1] == ' '; e--)
            val[e - val - 1] = '\0';
          return val;
        }
      p = strchr (p, '\n');
      if (p)
        p++;
    }
  return NULL;
}

static uint64_t
status_hex (const char *status, const char *key)
{
  char *v = status_field (status, key);
  assert_non_null (v);
  return strtoull (v, NULL, 16);
}

/* Fork, apply p, then either dump /proc/self/status (exec false) or exec
   cat on it; returns what the child printed.  */
static char *
run_child (const struct husk_process *p, bool exec_cat, int *status)
{
  static char out[8192];
  int pipefd[2];
  pid_t pid;
  size_t n = 0;
  ssize_t r;

  assert_int_equal (pipe (pipefd), 0);
  pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      husk_error_t err = NULL;
      close (pipefd[0]);
      dup2 (pipefd[1], 1);
      if (husk_process_set_identity (p, false, &err) < 0)
        {
          printf ("ERROR %s\n", err->msg);
          fflush (stdout);
          _exit (3);
        }
      if (exec_cat)
        {
          execl ("/bin/cat", "cat", "/proc/self/status", (char *)NULL);
          _exit (4);
        }
      else
        {
          FILE *f = fopen ("/proc/self/status", "r");
          char buf[8192];
          size_t k = f ? fread (buf, 1, sizeof buf, f) : 0;
          fwrite (buf, 1, k, stdout);
          fflush (stdout);
          _exit (0);
        }
    }
  close (pipefd[1]);
  while ((r = read (pipefd[0], out + n, sizeof out - 1 - n)) > 0)
    n += (size_t)r;
  out[n] = '\0';
  close (pipefd[0]);
  assert_int_equal (waitpid (pid, status, 0), pid);
  return out;
}

static gid_t groups[] = { 1001, 1002 };

static struct husk_process
nonroot_process (void)
{
  struct husk_process p;
  memset (&p, 0, sizeof p);
  p.uid = 1000;
  p.gid = 1000;
  p.additional_gids = groups;
  p.n_additional_gids = 2;
  p.has_umask = true;
  p.umask = 027;
  p.no_new_privileges = true;
  p.caps.present = true;
  p.caps.bounding = B (CAP_CHOWN) | B (CAP_NET_BIND_SERVICE) | B (CAP_KILL);
  p.caps.permitted = B (CAP_NET_BIND_SERVICE) | B (CAP_KILL);
  p.caps.effective = B (CAP_NET_BIND_SERVICE) | B (CAP_KILL);
  p.caps.inheritable = B (CAP_NET_BIND_SERVICE);
  p.caps.ambient = B (CAP_NET_BIND_SERVICE);
  return p;
}

static void
test_nonroot_before_exec (void **state)
{
  struct husk_process p = nonroot_process ();
  int st;
  char *s = run_child (&p, false, &st);
  (void)state;
  assert_true (WIFEXITED (st));
  if (WEXITSTATUS (st) != 0)
    fail_msg ("child: %s", s);
  assert_int_equal (status_hex (s, "CapBnd"), p.caps.bounding);
  assert_int_equal (status_hex (s, "CapPrm"), p.caps.permitted);
  assert_int_equal (status_hex (s, "CapEff"), p.caps.effective);
  assert_int_equal (status_hex (s, "CapInh"), p.caps.inheritable);
  assert_int_equal (status_hex (s, "CapAmb"), p.caps.ambient);
  assert_string_equal (status_field (s, "Uid"), "1000\t1000\t1000\t1000");
  assert_string_equal (status_field (s, "Gid"), "1000\t1000\t1000\t1000");
  assert_string_equal (status_field (s, "Groups"), "1001 1002");
  assert_string_equal (status_field (s, "NoNewPrivs"), "1");
  assert_string_equal (status_field (s, "Umask"), "0027");
}

/* After execve a non-root process keeps its ambient set (effective and
   permitted = ambient), the bounding and inheritable sets as listed.  */
static void
test_nonroot_after_exec (void **state)
{
  struct husk_process p = nonroot_process ();
  int st;
  char *s = run_child (&p, true, &st);
  (void)state;
  assert_true (WIFEXITED (st));
  if (WEXITSTATUS (st) != 0)
    fail_msg ("child: %s", s);
  assert_int_equal (status_hex (s, "CapBnd"), p.caps.bounding);
  assert_int_equal (status_hex (s, "CapPrm"), p.caps.ambient);
  assert_int_equal (status_hex (s, "CapEff"), p.caps.ambient);
  assert_int_equal (status_hex (s, "CapInh"), p.caps.inheritable);
  assert_int_equal (status_hex (s, "CapAmb"), p.caps.ambient);
  assert_string_equal (status_field (s, "NoNewPrivs"), "1");
}

/* root: the listed sets before execve; after it the kernel gives uid 0
   its whole bounding set (as with runc), so the bounding set is what
   limits a root container.  */
static void
test_root_restricted (void **state)
{
  struct husk_process p;
  int st;
  char *s;
  (void)state;
  memset (&p, 0, sizeof p);
  p.caps.present = true;
  p.caps.bounding = B (CAP_CHOWN) | B (CAP_AUDIT_WRITE);
  p.caps.permitted = p.caps.effective = B (CAP_CHOWN);
  s = run_child (&p, false, &st);
  assert_true (WIFEXITED (st));
  if (WEXITSTATUS (st) != 0)
    fail_msg ("child: %s", s);
  assert_int_equal (status_hex (s, "CapBnd"), p.caps.bounding);
  assert_int_equal (status_hex (s, "CapEff"), B (CAP_CHOWN));
  assert_int_equal (status_hex (s, "CapPrm"), B (CAP_CHOWN));
  assert_int_equal (status_hex (s, "CapAmb"), 0);
  assert_string_equal (status_field (s, "NoNewPrivs"), "0");
  assert_string_equal (status_field (s, "Groups"), "");
  s = run_child (&p, true, &st);
  assert_true (WIFEXITED (st) && WEXITSTATUS (st) == 0);
  assert_int_equal (status_hex (s, "CapBnd"), p.caps.bounding);
  assert_int_equal (status_hex (s, "CapEff"), p.caps.bounding);
}

/* runc's default spec lists ambient without inheritable: not an error,
   the ambient caps are just not raised.  */
static void
test_ambient_without_inheritable (void **state)
{
  struct husk_process p = nonroot_process ();
  int st;
  char *s;
  (void)state;
  p.caps.inheritable = 0;
  s = run_child (&p, false, &st);
  assert_true (WIFEXITED (st));
  if (WEXITSTATUS (st) != 0)
    fail_msg ("child: %s", s);
  assert_int_equal (status_hex (s, "CapAmb"), 0);
  assert_int_equal (status_hex (s, "CapEff"), p.caps.effective);
}

static void
test_check_missing_caps (void **state)
{
  struct husk_caps c = { .present = true,
                         .bounding = B (CAP_CHOWN) | B (CAP_SYS_RESOURCE),
                         .permitted = B (CAP_SYS_RESOURCE) };
  husk_error_t err = NULL;
  (void)state;
  if (prctl (PR_CAPBSET_READ, CAP_SYS_RESOURCE, 0, 0, 0) == 1)
    skip (); /* this host has it */
  assert_int_equal (husk_caps_check (&c, &err), -1);
  assert_non_null (strstr (err->msg, "CAP_SYS_RESOURCE"));
  assert_null (strstr (err->msg, "CAP_CHOWN"));
  husk_error_free (&err);
  /* A new user namespace has a full bounding set of its own.  */
  assert_int_equal (husk_caps_check_for (&c, true, &err), 0);
}

static void
test_check_ok_and_eff_not_perm (void **state)
{
  struct husk_caps c = { .present = true,
                         .bounding = B (CAP_CHOWN) | B (CAP_KILL),
                         .effective = B (CAP_KILL),
                         .permitted = B (CAP_CHOWN) };
  husk_error_t err = NULL;
  (void)state;
  assert_int_equal (husk_caps_check (&c, &err), -1);
  assert_non_null (strstr (err->msg, "CAP_KILL"));
  husk_error_free (&err);
  c.permitted |= B (CAP_KILL);
  assert_int_equal (husk_caps_check (&c, &err), 0);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_nonroot_before_exec), cmocka_unit_test (test_nonroot_after_exec),
    cmocka_unit_test (test_root_restricted),     cmocka_unit_test (test_ambient_without_inheritable),
    cmocka_unit_test (test_check_missing_caps),  cmocka_unit_test (test_check_ok_and_eff_not_perm),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
