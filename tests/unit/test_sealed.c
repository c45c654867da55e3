/* CVE-2019-5736, the attack itself: a process that can see a husk
   process (as a container process sees `husk exec` in its pid namespace)
   opens /proc/<pid>/exe with O_PATH, waits for husk to exit, then reopens
   that handle for writing to overwrite the host binary.  The victim is a
   copy of this test binary; with sealing the write must fail and the file
   stay intact, without it the attack must succeed (so the test proves
   something).  */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "linux/sealed.h"

static char dir[64], victim[128];

/* The victim: seal (unless "none"), report, wait for a byte, exit.  */
static int
victim_main (int argc, char **argv, char **envp)
{
  char c;
  if (strcmp (argv[2], "none") != 0 && husk_ensure_sealed (argc, argv, envp) < 0)
    return 1;
  printf ("%s %s\n", husk_sealed_how () ? husk_sealed_how () : "none",
          getenv ("_HUSK_SEALED") ? "marker" : "clean");
  fflush (stdout);
  if (read (0, &c, 1) < 0)
    return 2;
  return 0;
}

static int
attack (const char *method, char *report, size_t size, int *open_errno, int *write_errno)
{
  int in[2], out[2], exe, w, st;
  char path[64];
  ssize_t n;
  pid_t pid;

  assert_int_equal (pipe2 (in, O_CLOEXEC), 0);
  assert_int_equal (pipe2 (out, O_CLOEXEC), 0);
  pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      dup2 (in[0], 0);
      dup2 (out[1], 1);
      setenv ("HUSK_SEAL_METHOD", method, 1);
      execl (victim, victim, "--sealed-child", method, (char *)NULL);
      _exit (127);
    }
  close (in[0]);
  close (out[1]);
  n = read (out[0], report, size - 1);
  assert_true (n > 0);
  report[n] = '\0';
  snprintf (path, sizeof path, "/proc/%d/exe", (int)pid);
  exe = open (path, O_PATH | O_CLOEXEC);
  assert_true (exe >= 0);
  close (in[1]); /* let the victim exit: no ETXTBSY any more */
  assert_int_equal (waitpid (pid, &st, 0), pid);
  assert_true (WIFEXITED (st) && WEXITSTATUS (st) == 0);
  close (out[0]);
  snprintf (path, sizeof path, "/proc/self/fd/%d", exe);
  *open_errno = *write_errno = 0;
  w = open (path, O_WRONLY | O_CLOEXEC);
  if (w < 0)
    *open_errno = errno;
  else if (pwrite (w, "PWNED", 5, 0) != 5)
    *write_errno = errno;
  if (w >= 0)
    close (w);
  close (exe);
  return 0;
}

static bool
victim_intact (void)
{
  char head[4];
  int fd = open (victim, O_RDONLY | O_CLOEXEC);
  bool ok = fd >= 0 && read (fd, head, 4) == 4 && memcmp (head, "\177ELF", 4) == 0;
  if (fd >= 0)
    close (fd);
  return ok;
}

static void
test_bind_sealed (void **state)
{
  char rep[64];
  int oe, we;
  (void)state;
  attack ("bind", rep, sizeof rep, &oe, &we);
  /* The re-executed husk runs from the read-only detached mount and has
     no marker left in its environment.  */
  assert_string_equal (rep, "bind clean\n");
  assert_int_equal (oe, EROFS);
  assert_true (victim_intact ());
}

static void
test_memfd_sealed (void **state)
{
  char rep[64];
  int oe, we;
  (void)state;
  attack ("memfd", rep, sizeof rep, &oe, &we);
  assert_string_equal (rep, "memfd clean\n");
  assert_true (oe != 0 || we == EPERM);
  assert_true (victim_intact ());
}

/* Control: the same attack on an unsealed process succeeds.  */
static void
test_unsealed_is_vulnerable (void **state)
{
  char rep[64];
  int oe, we;
  (void)state;
  attack ("none", rep, sizeof rep, &oe, &we);
  assert_string_equal (rep, "none clean\n");
  assert_int_equal (oe, 0);
  assert_int_equal (we, 0);
  assert_false (victim_intact ());
}

static void
test_nondumpable (void **state)
{
  int st;
  pid_t pid;
  (void)state;
  pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      char *argv[] = { victim, "--dumpable-child", NULL };
      execv (victim, argv);
      _exit (127);
    }
  assert_int_equal (waitpid (pid, &st, 0), pid);
  assert_true (WIFEXITED (st));
  assert_int_equal (WEXITSTATUS (st), 0);
}

static int
copy_self (void)
{
  int src = open ("/proc/self/exe", O_RDONLY | O_CLOEXEC), dst;
  struct stat st;
  off_t off = 0;
  if (src < 0 || fstat (src, &st) < 0)
    return -1;
  dst = open (victim, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
  if (dst < 0)
    return -1;
  while (off < st.st_size)
    if (sendfile (dst, src, &off, (size_t)(st.st_size - off)) <= 0)
      return -1;
  close (src);
  close (dst);
  return 0;
}

static int
setup_each (void **state)
{
  (void)state;
  return copy_self ();
}

static int
setup (void **state)
{
  (void)state;
  strcpy (dir, "/tmp/husk-sealed-XXXXXX");
  if (mkdtemp (dir) == NULL)
    return -1;
  snprintf (victim, sizeof victim, "%s/victim", dir);
  return 0;
}

static int
teardown (void **state)
{
  (void)state;
  unlink (victim);
  rmdir (dir);
  return 0;
}

int
main (int argc, char **argv, char **envp)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup (test_bind_sealed, setup_each),
    cmocka_unit_test_setup (test_memfd_sealed, setup_each),
    cmocka_unit_test_setup (test_unsealed_is_vulnerable, setup_each),
    cmocka_unit_test_setup (test_nondumpable, setup_each),
  };
  if (argc > 2 && strcmp (argv[1], "--sealed-child") == 0)
    return victim_main (argc, argv, envp);
  if (argc > 1 && strcmp (argv[1], "--dumpable-child") == 0)
    {
      if (husk_ensure_sealed (argc, argv, envp) < 0)
        return 1;
      return prctl (PR_GET_DUMPABLE, 0, 0, 0, 0) == 0 ? 0 : 2;
    }
  return cmocka_run_group_tests (tests, setup, teardown);
}
