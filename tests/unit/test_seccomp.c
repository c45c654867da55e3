/* linux.seccomp: parsing errors name the JSON path; filters loaded in a
   forked child really block syscalls with the configured errno/signal;
   SCMP_ACT_NOTIFY hands the listener a working notify fd.  */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "linux/seccomp.h"

static struct husk_seccomp *
prepare_ok (const char *json)
{
  json_object *spec = json_tokener_parse (json);
  struct husk_seccomp *s = NULL;
  husk_error_t err = NULL;
  assert_non_null (spec);
  if (husk_seccomp_prepare (spec, &s, &err) < 0)
    fail_msg ("prepare failed: %s", err->msg);
  json_object_put (spec);
  assert_non_null (s);
  return s;
}

static void
expect_error (const char *json, const char *msg)
{
  json_object *spec = json_tokener_parse (json);
  struct husk_seccomp *s = NULL;
  husk_error_t err = NULL;
  assert_non_null (spec);
  assert_int_equal (husk_seccomp_prepare (spec, &s, &err), -1);
  assert_null (s);
  assert_non_null (err);
  if (strstr (err->msg, msg) == NULL)
    fail_msg ("error `%s` does not contain `%s`", err->msg, msg);
  husk_error_free (&err);
  json_object_put (spec);
}

static void
test_bad_profiles (void **state)
{
  (void)state;
  expect_error ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
                "{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ERRNO\"},{\"names\":[\"write\"],\"action\":"
                "\"SCMP_ACT_ERRNO\"},"
                "{\"names\":[\"open\"],\"action\":\"SCMP_ACT_ERRNO\"},{\"names\":[\"close\"],\"action\":"
                "\"SCMP_ACT_FOO\"}]}",
                "linux.seccomp.syscalls[3].action: unknown action `SCMP_ACT_FOO`");
  expect_error ("{}", "linux.seccomp.defaultAction: missing");
  expect_error ("{\"defaultAction\":\"SCMP_ACT_NOPE\"}",
                "linux.seccomp.defaultAction: unknown action `SCMP_ACT_NOPE`");
  expect_error ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"defaultErrnoRet\":5}",
                "linux.seccomp.defaultErrnoRet: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take an errno");
  expect_error ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_VAX\"]}",
                "linux.seccomp.architectures[0]: unknown architecture `SCMP_ARCH_VAX`");
  expect_error ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":[\"SECCOMP_FILTER_FLAG_LOG\",\"BOGUS\"]}",
                "linux.seccomp.flags[1]: unknown flag `BOGUS`");
  expect_error ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"dup\"],\"action\":\"SCMP_"
                "ACT_ERRNO\","
                "\"args\":[{\"index\":6,\"value\":1,\"op\":\"SCMP_CMP_EQ\"}]}]}",
                "linux.seccomp.syscalls[0].args[0].index: 6 is out of range");
  expect_error ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"dup\"],\"action\":\"SCMP_"
                "ACT_ERRNO\","
                "\"args\":[{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_EQ\"},{\"index\":1,\"value\":1,\"op\":"
                "\"SCMP_CMP_XX\"}]}]}",
                "linux.seccomp.syscalls[0].args[1].op: unknown operator `SCMP_CMP_XX`");
  expect_error ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"dup\"],\"action\":\"SCMP_"
                "ACT_ERRNO\","
                "\"errnoRet\":70000}]}",
                "linux.seccomp.syscalls[0].errnoRet: 70000 is out of range");
  expect_error ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"dup\"],\"action\":\"SCMP_"
                "ACT_NOTIFY\"}]}",
                "linux.seccomp.listenerPath: required");
  expect_error ("{\"defaultAction\":\"SCMP_ACT_NOTIFY\"}", "cannot be the default action");
  expect_error (
      "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":\"dup\",\"action\":\"SCMP_ACT_LOG\"}]}",
      "linux.seccomp.syscalls[0].names: expected an array, got string");
  expect_error (
      "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"dup\"],\"action\":\"SCMP_ACT_LOG\","
      "\"args\":[{\"index\":0,\"value\":-1,\"op\":\"SCMP_CMP_EQ\"}]}]}",
      "linux.seccomp.syscalls[0].args[0].value: expected an unsigned integer, got -1");
}

static void
test_good_profile_parses (void **state)
{
  (void)state;
  /* Every action, every operator, all flags, several arches and an
     unknown syscall name (skipped, as runc does).  */
  struct husk_seccomp *s = prepare_ok (
      "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":38,"
      "\"architectures\":[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\",\"SCMP_ARCH_X32\"],"
      "\"flags\":[\"SECCOMP_FILTER_FLAG_TSYNC\",\"SECCOMP_FILTER_FLAG_LOG\",\"SECCOMP_FILTER_FLAG_SPEC_"
      "ALLOW\","
      "\"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV\"],"
      "\"syscalls\":["
      "{\"names\":[\"read\",\"write\",\"no_such_syscall_husk\"],\"action\":\"SCMP_ACT_ALLOW\"},"
      "{\"names\":[\"kill\"],\"action\":\"SCMP_ACT_KILL\"},{\"names\":[\"tkill\"],\"action\":\"SCMP_ACT_KILL_"
      "PROCESS\"},"
      "{\"names\":[\"tgkill\"],\"action\":\"SCMP_ACT_KILL_THREAD\"},{\"names\":[\"ptrace\"],\"action\":"
      "\"SCMP_ACT_TRAP\"},"
      "{\"names\":[\"getpid\"],\"action\":\"SCMP_ACT_TRACE\",\"errnoRet\":1},{\"names\":[\"getppid\"],"
      "\"action\":\"SCMP_ACT_LOG\"},"
      "{\"names\":[\"dup\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":5,\"args\":["
      "{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_NE\"},{\"index\":1,\"value\":1,\"op\":\"SCMP_CMP_LT\"},"
      "{\"index\":2,\"value\":1,\"op\":\"SCMP_CMP_LE\"},{\"index\":3,\"value\":1,\"op\":\"SCMP_CMP_EQ\"},"
      "{\"index\":4,\"value\":1,\"op\":\"SCMP_CMP_GE\"},{\"index\":5,\"value\":255,\"valueTwo\":1,\"op\":"
      "\"SCMP_CMP_MASKED_EQ\"}]},"
      "{\"names\":[\"dup2\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,\"value\":"
      "18446744073709551615,\"op\":\"SCMP_CMP_GT\"}]}"
      "]}");
  husk_seccomp_free (s);
}

/* Run fn in a child with no_new_privs; return its wait status.  */
static int
in_child (int (*fn) (void *), void *arg)
{
  int status;
  pid_t pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      /* cmocka catches SIGSYS; the test wants the kernel's default.  */
      signal (SIGSYS, SIG_DFL);
      prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
      _exit (fn (arg));
    }
  assert_int_equal (waitpid (pid, &status, 0), pid);
  return status;
}

static int
load_or_die (struct husk_seccomp *s)
{
  husk_error_t err = NULL;
  if (husk_seccomp_load (s, NULL, &err) < 0)
    {
      fprintf (stderr, "load: %s\n", err->msg);
      _exit (100);
    }
  return 0;
}

static int
child_errno (void *arg)
{
  load_or_die (arg);
  /* getppid: errno 42.  */
  if (syscall (SYS_getppid) != -1 || errno != 42)
    return 1;
  /* umask: blocked only when arg0 == 0777.  */
  if (syscall (SYS_umask, 0777) != -1 || errno != 33)
    return 2;
  if (syscall (SYS_umask, 022) < 0)
    return 3;
  /* dup: two conditions on arg0 are OR'ed (runc semantics).  */
  if (dup (500) != -1 || errno != 34 || dup (501) != -1 || errno != 34)
    return 4;
  if (dup (0) < 0)
    return 5;
  /* fchmod: arg0 & 0xff00 == 0x100 (MASKED_EQ), arg1 > 0700 (GT): AND.  */
  if (syscall (SYS_fchmod, 0x100 | 7, 0777) != -1 || errno != 35)
    return 6;
  if (syscall (SYS_fchmod, 0x100 | 7, 0600) != -1 || errno != EBADF)
    return 7;
  return 0;
}

static void
test_errno_and_args (void **state)
{
  struct husk_seccomp *s
      = prepare_ok ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
                    "{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":42},"
                    "{\"names\":[\"umask\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":33,"
                    "\"args\":[{\"index\":0,\"value\":511,\"op\":\"SCMP_CMP_EQ\"}]},"
                    "{\"names\":[\"dup\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":34,"
                    "\"args\":[{\"index\":0,\"value\":500,\"op\":\"SCMP_CMP_EQ\"},{\"index\":0,\"value\":501,"
                    "\"op\":\"SCMP_CMP_EQ\"}]},"
                    "{\"names\":[\"fchmod\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":35,"
                    "\"args\":[{\"index\":0,\"value\":65280,\"valueTwo\":256,\"op\":\"SCMP_CMP_MASKED_EQ\"},"
                    "{\"index\":1,\"value\":448,\"op\":\"SCMP_CMP_GT\"}]}"
                    "]}");
  int st = in_child (child_errno, s);
  (void)state;
  assert_true (WIFEXITED (st));
  assert_int_equal (WEXITSTATUS (st), 0);
  husk_seccomp_free (s);
}

static int
child_default_errno (void *arg)
{
  load_or_die (arg);
  /* Default: errno 38 for everything but what the exit path needs.  */
  if (syscall (SYS_getppid) != -1 || errno != 38)
    return 1;
  return 0;
}

static void
test_default_errno (void **state)
{
  struct husk_seccomp *s
      = prepare_ok ("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":38,"
                    "\"syscalls\":[{\"names\":[\"exit\",\"exit_group\"],\"action\":\"SCMP_ACT_ALLOW\"}]}");
  int st = in_child (child_default_errno, s);
  (void)state;
  assert_true (WIFEXITED (st));
  assert_int_equal (WEXITSTATUS (st), 0);
  husk_seccomp_free (s);
}

static int
child_call_getppid (void *arg)
{
  load_or_die (arg);
  syscall (SYS_getppid);
  return 0;
}

static void
test_kill_and_trap (void **state)
{
  static const char *const actions[] = { "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL", "SCMP_ACT_TRAP" };
  size_t i;
  (void)state;
  for (i = 0; i < 3; i++)
    {
      char json[256];
      struct husk_seccomp *s;
      int st;
      snprintf (
          json, sizeof json,
          "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getppid\"],\"action\":\"%s\"}]}",
          actions[i]);
      s = prepare_ok (json);
      st = in_child (child_call_getppid, s);
      if (!WIFSIGNALED (st) || WTERMSIG (st) != SIGSYS)
        fail_msg ("%s: child status %#x, expected SIGSYS", actions[i], st);
      husk_seccomp_free (s);
    }
}

static int
child_exec_after_block (void *arg)
{
  load_or_die (arg);
  execl ("/bin/sh", "sh", "-c", "exit 7", (char *)NULL);
  return 99;
}

/* What husk calls before a filter is in place must not matter: a profile
   that blocks getcwd, close_range, openat... still lets the exec through.  */
static void
test_exec_with_restrictive_profile (void **state)
{
  struct husk_seccomp *s = prepare_ok (
      "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":[\"SECCOMP_FILTER_FLAG_LOG\"],\"syscalls\":["
      "{\"names\":[\"getcwd\",\"close_range\",\"prctl\",\"capset\",\"setresuid\",\"openat2\"],\"action\":"
      "\"SCMP_ACT_ERRNO\"}]}");
  int st = in_child (child_exec_after_block, s);
  (void)state;
  assert_true (WIFEXITED (st));
  assert_int_equal (WEXITSTATUS (st), 7);
  husk_seccomp_free (s);
}

static int
child_notified_mkdir (void *arg)
{
  husk_error_t err = NULL;
  char state[128];
  snprintf (state, sizeof state,
            "{\"ociVersion\":\"1.2.0\",\"id\":\"seccomp-unit\",\"status\":\"creating\",\"pid\":%d,\"bundle\":"
            "\"/b\"}",
            (int)getpid ());
  if (husk_seccomp_load (arg, state, &err) < 0)
    {
      fprintf (stderr, "load: %s\n", err->msg);
      return 100;
    }
  /* The listener answers ENOTBLK without creating anything.  */
  if (mkdir ("/husk-notify-never-created", 0700) == 0)
    return 1;
  return errno == ENOTBLK ? 0 : 2;
}

static int
recv_fd (int sock, char *buf, size_t size)
{
  char cbuf[CMSG_SPACE (sizeof (int))];
  struct iovec iov = { .iov_base = buf, .iov_len = size - 1 };
  struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf };
  struct cmsghdr *c;
  ssize_t n = recvmsg (sock, &mh, 0);
  int fd;
  assert_true (n > 0);
  buf[n] = '\0';
  c = CMSG_FIRSTHDR (&mh);
  assert_non_null (c);
  assert_int_equal (c->cmsg_type, SCM_RIGHTS);
  memcpy (&fd, CMSG_DATA (c), sizeof fd);
  return fd;
}

static void
answer_one (int nfd, int error)
{
  struct seccomp_notif req;
  struct seccomp_notif_resp resp;
  memset (&req, 0, sizeof req);
  assert_int_equal (ioctl (nfd, SECCOMP_IOCTL_NOTIF_RECV, &req), 0);
  assert_int_equal (req.data.nr, SYS_mkdir);
  memset (&resp, 0, sizeof resp);
  resp.id = req.id;
  resp.error = -error;
  assert_int_equal (ioctl (nfd, SECCOMP_IOCTL_NOTIF_SEND, &resp), 0);
}

static void
test_notify_round_trip (void **state)
{
  char dir[] = "/tmp/husk-seccomp-XXXXXX", path[128], json[512], msg[4096];
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  struct husk_seccomp *s;
  json_object *m, *v, *st;
  int lsock, conn, nfd, status;
  pid_t pid;

  (void)state;
  assert_non_null (mkdtemp (dir));
  snprintf (path, sizeof path, "%s/listener.sock", dir);
  strcpy (addr.sun_path, path);
  lsock = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  assert_int_equal (bind (lsock, (struct sockaddr *)&addr, sizeof addr), 0);
  assert_int_equal (listen (lsock, 1), 0);
  snprintf (json, sizeof json,
            "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"%s\",\"listenerMetadata\":\"meta-42\","
            "\"flags\":[\"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV\",\"SECCOMP_FILTER_FLAG_TSYNC\"],"
            "\"syscalls\":[{\"names\":[\"mkdir\",\"mkdirat\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}",
            path);
  s = prepare_ok (json); /* connects to the listener */
  pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
      _exit (child_notified_mkdir (s));
    }
  husk_seccomp_free (s);
  conn = accept4 (lsock, NULL, NULL, SOCK_CLOEXEC);
  assert_true (conn >= 0);
  nfd = recv_fd (conn, msg, sizeof msg);
  m = json_tokener_parse (msg);
  assert_non_null (m);
  assert_true (json_object_object_get_ex (m, "metadata", &v));
  assert_string_equal (json_object_get_string (v), "meta-42");
  assert_true (json_object_object_get_ex (m, "fds", &v));
  assert_string_equal (json_object_get_string (json_object_array_get_idx (v, 0)), "seccompFd");
  assert_true (json_object_object_get_ex (m, "pid", &v));
  assert_int_equal (json_object_get_int (v), pid);
  assert_true (json_object_object_get_ex (m, "ociVersion", &v));
  assert_string_equal (json_object_get_string (v), "1.2.0");
  assert_true (json_object_object_get_ex (m, "state", &st));
  assert_true (json_object_object_get_ex (st, "id", &v));
  assert_string_equal (json_object_get_string (v), "seccomp-unit");
  json_object_put (m);
  answer_one (nfd, ENOTBLK);
  assert_int_equal (waitpid (pid, &status, 0), pid);
  assert_true (WIFEXITED (status));
  assert_int_equal (WEXITSTATUS (status), 0);
  close (nfd);
  close (conn);
  close (lsock);
  unlink (path);
  rmdir (dir);
}

/* The podman/docker-like profile the integration tests use parses and
   loads, and a shell still runs under it.  */
static void
test_default_like_profile (void **state)
{
  json_object *spec = json_object_from_file ("tests/integration/data/seccomp-default.json");
  struct husk_seccomp *s = NULL;
  husk_error_t err = NULL;
  int st;
  (void)state;
  if (spec == NULL)
    skip ();
  if (husk_seccomp_prepare (spec, &s, &err) < 0)
    fail_msg ("%s", err->msg);
  st = in_child (child_exec_after_block, s);
  assert_true (WIFEXITED (st));
  assert_int_equal (WEXITSTATUS (st), 7);
  husk_seccomp_free (s);
  json_object_put (spec);
}

static int
child_finalize_without_nnp (void *arg)
{
  gid_t gids[] = { 1001 };
  struct husk_process p;
  husk_error_t err = NULL;
  char line[256];
  FILE *f;
  int ok = 0;

  memset (&p, 0, sizeof p);
  p.uid = p.gid = 1000;
  p.additional_gids = gids;
  p.n_additional_gids = 1;
  p.caps.present = true;
  p.caps.bounding = p.caps.permitted = p.caps.effective = UINT64_C (1) << 10; /* CAP_NET_BIND_SERVICE */
  if (husk_process_finalize (&p, false, arg, NULL, &err) < 0)
    {
      fprintf (stderr, "finalize: %s\n", err->msg);
      return 100;
    }
  if (syscall (SYS_getppid) != -1 || errno != 42)
    return 1;
  f = fopen ("/proc/self/status", "r");
  while (f && fgets (line, sizeof line, f))
    ok += strcmp (line, "Seccomp:\t2\n") == 0 || strcmp (line, "NoNewPrivs:\t0\n") == 0
          || strcmp (line, "CapEff:\t0000000000000400\n") == 0
          || strcmp (line, "Uid:\t1000\t1000\t1000\t1000\n") == 0;
  return ok == 4 ? 0 : 2;
}

/* Without noNewPrivileges the filter needs CAP_SYS_ADMIN, which the
   process (uid 1000, only CAP_NET_BIND_SERVICE) does not keep:
   husk_process_finalize loads it at the last privileged moment.  */
static void
test_finalize_without_nnp (void **state)
{
  struct husk_seccomp *s
      = prepare_ok ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
                    "{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":42}]}");
  int st;
  pid_t pid = fork ();
  (void)state;
  assert_true (pid >= 0);
  if (pid == 0)
    _exit (child_finalize_without_nnp (s));
  assert_int_equal (waitpid (pid, &st, 0), pid);
  assert_true (WIFEXITED (st));
  assert_int_equal (WEXITSTATUS (st), 0);
  husk_seccomp_free (s);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_bad_profiles),         cmocka_unit_test (test_good_profile_parses),
    cmocka_unit_test (test_errno_and_args),       cmocka_unit_test (test_default_errno),
    cmocka_unit_test (test_kill_and_trap),        cmocka_unit_test (test_exec_with_restrictive_profile),
    cmocka_unit_test (test_notify_round_trip),    cmocka_unit_test (test_default_like_profile),
    cmocka_unit_test (test_finalize_without_nnp),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
