/* binary:// log URIs, as containerd's runc shim runs them: the binary
 * (URI path; query pairs become arguments "k v") gets the container's
 * stdout and stderr pipes on fds 3 and 4 and a pipe on fd 5 that it
 * closes (or writes to) once it is ready; CONTAINER_ID and
 * CONTAINER_NAMESPACE are in its environment. */
#include "shim/shim.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LOGGER_READY_MS 10000

static int
hexval (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* In-place URL decoding of one query component. */
static void
url_decode (char *s)
{
  char *o = s;
  for (; *s; s++)
    if (*s == '%' && hexval (s[1]) >= 0 && hexval (s[2]) >= 0)
      {
        *o++ = (char)(hexval (s[1]) * 16 + hexval (s[2]));
        s += 2;
      }
    else
      *o++ = *s == '+' ? ' ' : *s;
  *o = '\0';
}

static void
logger_exec (char *path, char *query, int fds[3])
{
  char *argv[66], *save = NULL, *env_id, *env_ns;
  size_t n = 0;
  argv[n++] = path;
  for (char *kv = query ? strtok_r (query, "&", &save) : NULL; kv && n < 63; kv = strtok_r (NULL, "&", &save))
    {
      char *eq = strchr (kv, '=');
      if (eq)
        *eq++ = '\0';
      url_decode (kv);
      argv[n++] = kv;
      if (eq)
        {
          url_decode (eq);
          argv[n++] = eq;
        }
    }
  argv[n] = NULL;
  if (asprintf (&env_id, "CONTAINER_ID=%s", shim_task->id) < 0
      || asprintf (&env_ns, "CONTAINER_NAMESPACE=%s", shim_cfg.ns) < 0)
    _exit (127);
  for (int i = 0; i < 3; i++)
    fds[i] = fcntl (fds[i], F_DUPFD_CLOEXEC, 10);
  for (int i = 0; i < 3; i++)
    if (fds[i] < 0 || dup2 (fds[i], 3 + i) < 0)
      _exit (127);
  int null = open ("/dev/null", O_RDWR);
  dup2 (null, 0);
  dup2 (null, 1);
  dup2 (null, 2);
  /* the shim ignores SIGPIPE; exec would pass that on to the container */
  signal (SIGPIPE, SIG_DFL);
  sigset_t none;
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
  setsid ();
  char *envp[]
      = { env_id, env_ns, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", NULL };
  execve (path, argv, envp);
  _exit (127);
}

int
io_binary_logger (const char *uri, int *out_w, int *err_w, husk_error_t *err)
{
  cleanup_free char *copy = shim_strdup (uri + strlen ("binary://"));
  int out[2] = { -1, -1 }, errp[2] = { -1, -1 }, ready[2] = { -1, -1 };
  char *query = strchr (copy, '?'), b;
  pid_t pid;
  ssize_t r;
  if (query)
    *query++ = '\0';
  if (*copy != '/')
    return husk_error (err, EINVAL, "binary log URI needs an absolute path: `%s`", uri);
  if (pipe2 (out, O_CLOEXEC) < 0 || pipe2 (errp, O_CLOEXEC) < 0 || pipe2 (ready, O_CLOEXEC) < 0)
    {
      husk_error (err, errno, "pipe");
      goto fail;
    }
  pid = fork ();
  if (pid < 0)
    {
      husk_error (err, errno, "fork log binary");
      goto fail;
    }
  if (pid == 0)
    logger_exec (copy, query, (int[3]){ out[0], errp[0], ready[1] });
  close (out[0]);
  close (errp[0]);
  close (ready[1]);
  /* the logger is ready when it closes fd 5 (or writes to it); a logger
   * that never does must not hang the shim */
  struct pollfd pfd = { .fd = ready[0], .events = POLLIN };
  if (poll (&pfd, 1, LOGGER_READY_MS) == 1)
    do
      r = read (ready[0], &b, 1);
    while (r < 0 && errno == EINTR);
  else
    shim_warn ("log binary `%s` did not signal readiness", copy);
  close (ready[0]);
  *out_w = out[1];
  *err_w = errp[1];
  return 0;
fail:
  for (int i = 0; i < 2; i++)
    {
      if (out[i] >= 0)
        close (out[i]);
      if (errp[i] >= 0)
        close (errp[i]);
      if (ready[i] >= 0)
        close (ready[i]);
    }
  return -1;
}
