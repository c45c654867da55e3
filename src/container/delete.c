/* `kill` and `delete`. */
#include "container/lifecycle.h"

#include <errno.h>
#include <ctype.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <strings.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "container/internal.h"
#include "linux/cgroups/cgroup.h"
#include "linux/hooks.h"
#include "util/fs.h"
#include "util/log.h"

static const struct
{
  const char *name;
  int sig;
} signals[] = {
  { "HUP", SIGHUP },       { "INT", SIGINT },   { "QUIT", SIGQUIT },     { "ILL", SIGILL },
  { "TRAP", SIGTRAP },     { "ABRT", SIGABRT }, { "IOT", SIGIOT },       { "BUS", SIGBUS },
  { "FPE", SIGFPE },       { "KILL", SIGKILL }, { "USR1", SIGUSR1 },     { "SEGV", SIGSEGV },
  { "USR2", SIGUSR2 },     { "PIPE", SIGPIPE }, { "ALRM", SIGALRM },     { "TERM", SIGTERM },
  { "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD }, { "CONT", SIGCONT },     { "STOP", SIGSTOP },
  { "TSTP", SIGTSTP },     { "TTIN", SIGTTIN }, { "TTOU", SIGTTOU },     { "URG", SIGURG },
  { "XCPU", SIGXCPU },     { "XFSZ", SIGXFSZ }, { "VTALRM", SIGVTALRM }, { "PROF", SIGPROF },
  { "WINCH", SIGWINCH },   { "IO", SIGIO },     { "POLL", SIGPOLL },     { "PWR", SIGPWR },
  { "SYS", SIGSYS },
};

int
husk_signal_parse (const char *s)
{
  char *end;
  long n;
  if (s == NULL || *s == '\0')
    return -1;
  n = strtol (s, &end, 10);
  if (*end == '\0')
    return (n > 0 && n < NSIG) ? (int)n : -1;
  if (strncasecmp (s, "SIG", 3) == 0)
    s += 3;
  for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++)
    if (strcasecmp (s, signals[i].name) == 0)
      return signals[i].sig;
  if (strncasecmp (s, "RTMIN", 5) == 0 || strncasecmp (s, "RTMAX", 5) == 0)
    {
      long off = s[5] ? strtol (s + 5, &end, 10) : 0;
      int sig = (toupper ((unsigned char)s[2]) == 'M' && toupper ((unsigned char)s[3]) == 'I')
                    ? SIGRTMIN + (int)off
                    : SIGRTMAX + (int)off;
      if ((s[5] && *end) || sig < SIGRTMIN || sig > SIGRTMAX)
        return -1;
      return sig;
    }
  return -1;
}

static int
load_cgroup (struct husk_container *c, struct husk_cgroup **cg, husk_error_t *err)
{
  *cg = NULL;
  if (c->cgroup == NULL)
    return 0;
  return husk_cgroup_from_json (c->cgroup, cg, err);
}

static int
signal_container (struct husk_container *c, int sig, bool all, husk_error_t *err)
{
  if (all)
    {
      struct husk_cgroup *cg;
      int r;
      if (load_cgroup (c, &cg, err) < 0)
        return -1;
      if (cg)
        {
          r = husk_cgroup_kill_all (cg, sig, err);
          husk_cgroup_free (cg);
          return r;
        }
    }
  if (kill (c->pid, sig) < 0 && errno != ESRCH)
    return husk_error (err, errno, "kill container `%s` (pid %d)", c->id, c->pid);
  return 0;
}

int
husk_container_kill (const char *root, const char *id, int sig, bool all, husk_error_t *err)
{
  struct husk_container *c = NULL;
  int r = -1;
  if (husk_container_load (root, id, &c, err) < 0)
    return -1;
  if (husk_container_status (c) == HUSK_STATUS_STOPPED && !all)
    husk_error (err, 0, "container `%s` is not running", id);
  else
    r = signal_container (c, sig, all, err);
  husk_container_free (c);
  return r;
}

/* Wait (up to 10 s) for the killed init to exit: a pidfd becomes readable
 * when it does, so no polling loop. The init need not be our child. */
static void
wait_gone (struct husk_container *c)
{
  struct timespec ts = { 0, 2 * 1000 * 1000 };
  int pidfd = (int)syscall (SYS_pidfd_open, c->pid, 0);
  if (pidfd >= 0)
    {
      struct pollfd p = { .fd = pidfd, .events = POLLIN };
      while (poll (&p, 1, 10000) < 0 && errno == EINTR)
        ;
      close (pidfd);
    }
  /* Without pidfd (old kernel) fall back to polling. */
  for (int i = 0; i < 5000 && husk_container_alive (c); i++)
    nanosleep (&ts, NULL);
}

int
husk_container_destroy (struct husk_container *c, husk_error_t *err)
{
  struct husk_cgroup *cg = NULL;
  husk_error_t herr = NULL;
  if (load_cgroup (c, &cg, err) < 0)
    return -1;
  if (cg)
    {
      int r = husk_cgroup_destroy (cg, err);
      husk_cgroup_free (cg);
      if (r < 0)
        return -1;
    }
  /* poststop failures are logged; the container is gone either way. */
  if (husk_container_run_hooks (c, HUSK_HOOK_POSTSTOP, &herr) < 0)
    {
      husk_warn ("%s", herr->msg);
      husk_error_free (&herr);
    }
  return husk_rm_rf (c->dir, err);
}

int
husk_container_delete (const char *root, const char *id, bool force, husk_error_t *err)
{
  struct husk_container *c = NULL;
  enum husk_status s;
  int r = -1;
  if (husk_container_load (root, id, &c, err) < 0)
    return -1;
  s = husk_container_status (c);
  if (s != HUSK_STATUS_STOPPED)
    {
      /* A created container never ran user code: runc deletes it too. */
      if (s != HUSK_STATUS_CREATED && !force)
        {
          husk_error (err, 0, "cannot delete container `%s` that is not stopped: %s (use --force)", id,
                      husk_status_name (s));
          goto out;
        }
      if (signal_container (c, SIGKILL, true, err) < 0)
        goto out;
      if (s == HUSK_STATUS_PAUSED)
        husk_debug ("deleting a paused container");
      wait_gone (c);
    }
  r = husk_container_destroy (c, err);
out:
  husk_container_free (c);
  return r;
}
