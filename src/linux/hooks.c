#include "linux/hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/fs.h"

static const char *const kind_names[HUSK_HOOK_KIND_COUNT]
    = { "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop" };

const char *
husk_hook_kind_name (enum husk_hook_kind k)
{
  return kind_names[k];
}

static void
exec_hook (const struct husk_hook *h, int in_fd)
{
  static char *const empty_env[] = { NULL };
  char *const default_argv[] = { h->path, NULL };
  sigset_t none;
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
  if (dup2 (in_fd, 0) < 0)
    _exit (126);
  /* A hook's stdout must not end up in the container's stdio pipes that
   * managers read; runc passes its own stdout/stderr, so do we. */
  execve (h->path, h->args && h->args[0] ? h->args : default_argv, h->env ? h->env : empty_env);
  dprintf (2, "husk: exec hook `%s`: %s\n", h->path, strerror (errno));
  _exit (127);
}

/* Wait for the hook with an optional timeout, via a pidfd. */
static int
wait_hook (pid_t pid, int timeout, int *status)
{
  int pidfd = (int)syscall (SYS_pidfd_open, pid, 0);
  if (pidfd >= 0 && timeout > 0)
    {
      struct pollfd p = { .fd = pidfd, .events = POLLIN };
      int r;
      do
        r = poll (&p, 1, timeout * 1000);
      while (r < 0 && errno == EINTR);
      if (r == 0)
        {
          kill (pid, SIGKILL);
          waitpid (pid, status, 0);
          close (pidfd);
          return 1;
        }
    }
  if (pidfd >= 0)
    close (pidfd);
  while (waitpid (pid, status, 0) < 0)
    if (errno != EINTR)
      return -1;
  return 0;
}

static int
run_one (const struct husk_hook *h, const char *what, const char *state_json, husk_error_t *err)
{
  int p[2], status = 0, r;
  pid_t pid;
  if (pipe2 (p, O_CLOEXEC) < 0)
    return husk_error (err, errno, "%s: pipe", what);
  pid = fork ();
  if (pid < 0)
    {
      close (p[0]);
      close (p[1]);
      return husk_error (err, errno, "%s: fork", what);
    }
  if (pid == 0)
    {
      close (p[1]);
      exec_hook (h, p[0]);
    }
  close (p[0]);
  /* The hook may not read stdin at all: ignore EPIPE. */
  {
    void (*old) (int) = signal (SIGPIPE, SIG_IGN);
    husk_write_all (p[1], state_json, strlen (state_json));
    signal (SIGPIPE, old);
  }
  close (p[1]);
  r = wait_hook (pid, h->timeout, &status);
  if (r > 0)
    return husk_error (err, 0, "%s `%s` timed out after %d s", what, h->path, h->timeout);
  if (r < 0)
    return husk_error (err, errno, "%s `%s`: wait", what, h->path);
  if (WIFSIGNALED (status))
    return husk_error (err, 0, "%s `%s` killed by signal %d", what, h->path, WTERMSIG (status));
  if (WEXITSTATUS (status) != 0)
    return husk_error (err, 0, "%s `%s` failed with exit status %d", what, h->path, WEXITSTATUS (status));
  return 0;
}

int
husk_hooks_run (const struct husk_config *cfg, enum husk_hook_kind kind, const char *state_json,
                husk_error_t *err)
{
  const struct husk_hook_list *l = &cfg->hooks[kind];
  for (size_t i = 0; i < l->n; i++)
    {
      char what[64];
      snprintf (what, sizeof what, "hooks.%s[%zu]", kind_names[kind], i);
      if (run_one (&l->hooks[i], what, state_json, err) < 0)
        return -1;
    }
  return 0;
}
