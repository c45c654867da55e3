/* Unit tests for husk_foreground_wait on a real pty: exit statuses,
 * signal forwarding, and a relay whose stdout is a regular file and stdin
 * /dev/null (neither can be watched with epoll). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "linux/tty_relay.h"

static sigset_t old_mask;

static int
block_all (void **state)
{
  sigset_t all;
  (void) state;
  sigfillset (&all);
  sigprocmask (SIG_BLOCK, &all, &old_mask);
  return 0;
}

static int
unblock (void **state)
{
  (void) state;
  sigprocmask (SIG_SETMASK, &old_mask, NULL);
  return 0;
}

static pid_t
child (void (*fn) (void *), void *arg)
{
  pid_t pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      sigset_t none;
      sigemptyset (&none);
      sigprocmask (SIG_SETMASK, &none, NULL);
      fn (arg);
      _exit (0);
    }
  return pid;
}

static void
die_by_term (void *arg)
{
  (void) arg;
  kill (getpid (), SIGTERM);
  pause ();
}

static void
test_status_of_a_signalled_process (void **state)
{
  husk_error_t err = NULL;
  pid_t pid = child (die_by_term, NULL);
  (void) state;
  assert_int_equal (husk_foreground_wait (-1, pid, &err), 128 + SIGTERM);
}

static void
on_usr1 (int sig)
{
  (void) sig;
  _exit (7);
}

static void
wait_usr1 (void *arg)
{
  (void) arg;
  signal (SIGUSR1, on_usr1);
  for (;;)
    pause ();
}

static void
test_signals_are_forwarded (void **state)
{
  husk_error_t err = NULL;
  pid_t pid = child (wait_usr1, NULL);
  (void) state;
  usleep (100 * 1000); /* let it install the handler */
  kill (getpid (), SIGUSR1); /* blocked here: the wait forwards it */
  assert_int_equal (husk_foreground_wait (-1, pid, &err), 7);
}

#define PAYLOAD (300 * 1000)

struct pty {
  int master;
  char slave[64];
};

static void
write_to_slave (void *arg)
{
  struct pty *p = arg;
  static char buf[PAYLOAD];
  int fd;
  setsid ();
  fd = open (p->slave, O_RDWR);
  if (fd < 0)
    _exit (100);
  memset (buf, 'x', sizeof buf);
  if (write (fd, buf, sizeof buf) != (ssize_t) sizeof buf)
    _exit (101);
  _exit (3);
}

static void
test_relay_to_a_regular_file (void **state)
{
  struct pty p;
  char path[] = "/tmp/husk-relay-test-XXXXXX";
  int out = mkstemp (path), saved_out = dup (1), saved_in = dup (0), devnull = open ("/dev/null", O_RDONLY);
  husk_error_t err = NULL;
  struct stat st;
  pid_t pid;
  int status;
  (void) state;
  assert_true (out >= 0 && devnull >= 0);
  unlink (path);
  p.master = posix_openpt (O_RDWR | O_NOCTTY);
  assert_true (p.master >= 0);
  assert_int_equal (unlockpt (p.master), 0);
  assert_int_equal (ptsname_r (p.master, p.slave, sizeof p.slave), 0);
  pid = child (write_to_slave, &p);
  dup2 (out, 1);
  dup2 (devnull, 0);
  status = husk_foreground_wait (p.master, pid, &err);
  dup2 (saved_out, 1);
  dup2 (saved_in, 0);
  assert_int_equal (status, 3);
  assert_int_equal (fstat (out, &st), 0);
  assert_int_equal (st.st_size, PAYLOAD);
  close (out);
  close (devnull);
  close (saved_out);
  close (saved_in);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_status_of_a_signalled_process),
    cmocka_unit_test (test_signals_are_forwarded),
    cmocka_unit_test (test_relay_to_a_regular_file),
  };
  return cmocka_run_group_tests (tests, block_all, unblock);
}
