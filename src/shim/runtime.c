/* Running the OCI runtime binary the way containerd's runc shim does:
 * synchronous, --log in json so that a failure reports the runtime's own
 * last error line. The loop is blocked meanwhile; container exits stay
 * zombies until we return and reap them. */
#include "shim/parse.h"
#include "shim/shim.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/fs.h"

char *
shim_strdup (const char *s)
{
  char *r = strdup (s ? s : "");
  if (r == NULL)
    abort ();
  return r;
}

char *
shim_path (const char *dir, const char *name)
{
  char *r;
  if (asprintf (&r, "%s/%s", dir, name) < 0)
    abort ();
  return r;
}

void
shim_now (struct timespec *ts)
{
  clock_gettime (CLOCK_REALTIME, ts);
}

const char *
runtime_root (void)
{
  return shim_cfg.root;
}

/* The "msg" of the last error line of the runtime's json log, or NULL. */
static char *
last_log_error (const char *log)
{
  cleanup_free char *data = NULL;
  husk_error_t err = NULL;
  char *msg = NULL, *line, *save = NULL;
  if (husk_read_file (log, &data, NULL, &err) < 0)
    {
      husk_error_free (&err);
      return NULL;
    }
  for (line = strtok_r (data, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      cleanup_free char *level = shim_json_line_string (line, "level");
      char *m;
      if (level && strcmp (level, "error") != 0)
        continue;
      m = shim_json_line_string (line, "msg");
      if (m)
        {
          free (msg);
          msg = m;
        }
    }
  return msg;
}

static void
child_exec (const char *const *argv, const int stdio[3], int out_pipe)
{
  int devnull = open ("/dev/null", O_RDWR | O_CLOEXEC);
  int fds[3];
  for (int i = 0; i < 3; i++)
    fds[i] = stdio[i] >= 0 ? stdio[i] : devnull;
  if (out_pipe >= 0)
    fds[1] = out_pipe;
  /* dup to high numbers first so that dup2 onto 0..2 cannot clobber */
  for (int i = 0; i < 3; i++)
    fds[i] = fcntl (fds[i], F_DUPFD_CLOEXEC, 10);
  for (int i = 0; i < 3; i++)
    if (fds[i] < 0 || dup2 (fds[i], i) < 0)
      _exit (127);
  /* the shim ignores SIGPIPE; exec would pass that on to the container */
  signal (SIGPIPE, SIG_DFL);
  sigset_t none;
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
  execv (argv[0], (char *const *)argv);
  _exit (127);
}

int
runtime_run (const char *const *args, const int stdio[3], char **out, husk_error_t *err)
{
  const char *argv[32];
  size_t n = 0, len = 0, cap = 0;
  cleanup_free char *log = shim_path (shim_task ? shim_task->bundle : ".", "log.json");
  char *buf = NULL;
  int pipefd[2] = { -1, -1 }, wstatus;
  pid_t pid;
  const char *verb = args[0] ? args[0] : "";

  argv[n++] = shim_cfg.runtime;
  argv[n++] = "--root";
  argv[n++] = runtime_root ();
  argv[n++] = "--log";
  argv[n++] = log;
  argv[n++] = "--log-format";
  argv[n++] = "json";
  for (; *args && n < 31; args++)
    argv[n++] = *args;
  argv[n] = NULL;
  unlink (log);

  if (out && pipe2 (pipefd, O_CLOEXEC) < 0)
    return husk_error (err, errno, "pipe");
  pid = fork ();
  if (pid < 0)
    {
      if (out)
        {
          close (pipefd[0]);
          close (pipefd[1]);
        }
      return husk_error (err, errno, "fork `%s`", shim_cfg.runtime);
    }
  if (pid == 0)
    child_exec (argv, stdio, pipefd[1]);
  if (out)
    {
      close (pipefd[1]);
      for (;;)
        {
          if (len + 4096 > cap)
            {
              cap = cap ? cap * 2 : 8192;
              buf = realloc (buf, cap + 1);
              if (buf == NULL)
                abort ();
            }
          ssize_t r = read (pipefd[0], buf + len, cap - len);
          if (r < 0 && errno == EINTR)
            continue;
          if (r <= 0)
            break;
          len += (size_t)r;
        }
      close (pipefd[0]);
      buf[len] = '\0';
    }
  while (waitpid (pid, &wstatus, 0) < 0)
    if (errno != EINTR)
      {
        free (buf);
        return husk_error (err, errno, "waitpid");
      }
  if (!WIFEXITED (wstatus) || WEXITSTATUS (wstatus) != 0)
    {
      cleanup_free char *msg = last_log_error (log);
      free (buf);
      if (WIFEXITED (wstatus) && WEXITSTATUS (wstatus) == 127 && msg == NULL)
        return husk_error (err, 0, "cannot run runtime `%s`", shim_cfg.runtime);
      return husk_error (err, 0, "%s %s: %s", shim_cfg.runtime, verb, msg ? msg : "failed");
    }
  if (out)
    *out = buf;
  return 0;
}
