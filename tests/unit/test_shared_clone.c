/* husk_clone_shared: the child runs in our memory (what it writes is there
 * when we resume), we resume only once it has exited or exec'd, its pid is
 * our child's, and a child of the child shares the same memory too (the
 * exec intermediate's case). */
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "linux/shared_clone.h"

struct probe
{
  pid_t seen_pid;  /* getpid() in the child */
  char *allocated; /* malloc'd by the child, left for us */
  pid_t grandchild;
  int depth;
};

static int
child_exit (void *arg)
{
  struct probe *p = arg;
  struct timespec ts = { 0, 50 * 1000 * 1000 };
  /* If we were not suspended, the parent would check before this lands. */
  nanosleep (&ts, NULL);
  p->seen_pid = getpid ();
  p->allocated = strdup ("written by the child");
  _exit (7);
}

static void
test_child_writes_our_memory_and_we_wait (void **state)
{
  struct probe p = { 0 };
  husk_error_t err = NULL;
  pid_t pid = 0;
  int st = 0;
  (void)state;
  assert_int_equal (husk_clone_shared (child_exit, &p, 0, &pid, &err), 0);
  assert_true (pid > 0);
  assert_int_equal (p.seen_pid, pid);
  assert_non_null (p.allocated);
  assert_string_equal (p.allocated, "written by the child");
  free (p.allocated); /* a valid chunk of our heap */
  assert_int_equal (waitpid (pid, &st, 0), pid);
  assert_true (WIFEXITED (st));
  assert_int_equal (WEXITSTATUS (st), 7);
}

static int
child_exec (void *arg)
{
  (void)arg;
  execl ("/bin/sh", "sh", "-c", "exit 3", (char *)NULL);
  _exit (127);
}

static void
test_we_resume_at_the_exec (void **state)
{
  husk_error_t err = NULL;
  pid_t pid = 0;
  int st = 0;
  (void)state;
  assert_int_equal (husk_clone_shared (child_exec, NULL, 0, &pid, &err), 0);
  assert_int_equal (waitpid (pid, &st, 0), pid);
  assert_true (WIFEXITED (st));
  assert_int_equal (WEXITSTATUS (st), 3);
}

static int
nested (void *arg)
{
  struct probe *p = arg;
  husk_error_t err = NULL;
  pid_t pid = 0;
  if (p->depth++ == 0)
    {
      /* CLONE_PARENT: the grandchild is our caller's child, as in exec. */
      if (husk_clone_shared (nested, p, CLONE_PARENT, &pid, &err) < 0)
        _exit (1);
      p->grandchild = pid;
      _exit (0);
    }
  p->seen_pid = getpid ();
  _exit (5);
}

static void
test_nested_with_clone_parent (void **state)
{
  struct probe p = { 0 };
  husk_error_t err = NULL;
  pid_t mid = 0;
  int st = 0;
  (void)state;
  assert_int_equal (husk_clone_shared (nested, &p, 0, &mid, &err), 0);
  assert_int_equal (p.depth, 2);
  assert_true (p.grandchild > 0);
  assert_int_equal (p.seen_pid, p.grandchild);
  assert_int_equal (waitpid (mid, &st, 0), mid);
  assert_int_equal (WEXITSTATUS (st), 0);
  assert_int_equal (waitpid (p.grandchild, &st, 0), p.grandchild);
  assert_int_equal (WEXITSTATUS (st), 5);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_child_writes_our_memory_and_we_wait),
    cmocka_unit_test (test_we_resume_at_the_exec),
    cmocka_unit_test (test_nested_with_clone_parent),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
