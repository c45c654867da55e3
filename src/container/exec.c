/* `exec`, husk's side: check the container, build the process, open the
 * namespaces of the init, then drive the two children (exec_child.c):
 *
 *   husk                      intermediate               process
 *   clone (shared memory) -->  cgroup, rlimits, setns(...),
 *   (suspended)                clone (shared, CLONE_PARENT) -> root, setsid, tty,
 *                              (suspended)                     identity, seccomp,
 *                              INIT_PID(pid), exits  <-------  exec (or ERROR, exit)
 *   reads INIT_PID, then ERROR or EOF
 *
 * The init's /proc directory is opened once and its start time checked, so
 * a pid reused after the init died cannot send us into someone else's
 * namespaces. */
#include "container/exec.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "container/container.h"
#include "container/exec_internal.h"
#include "container/internal.h"
#include "container/sync.h"
#include "linux/caps.h"
#include "linux/lsm.h"
#include "linux/namespaces.h"
#include "linux/seccomp.h"
#include "linux/shared_clone.h"
#include "linux/terminal.h"
#include "linux/tty_relay.h"
#include "util/fs.h"
#include "util/log.h"

struct exec_run
{
  struct husk_exec_ctx ctx;
  struct husk_container *c;
  struct husk_config *cfg;
  json_object *process_json;
  bool paused;
  pid_t mid, pid;
  int master;
  sigset_t old_mask;
};

static int
check_status (struct exec_run *x, husk_error_t *err)
{
  enum husk_status s = husk_container_status (x->c);
  if (s == HUSK_STATUS_STOPPED)
    return husk_error (err, 0, "cannot exec in a stopped container `%s`", x->c->id);
  if (s == HUSK_STATUS_PAUSED && !x->ctx.o->ignore_paused)
    return husk_error (err, 0, "cannot exec in a paused container `%s` (use --ignore-paused to override)",
                       x->c->id);
  x->paused = s == HUSK_STATUS_PAUSED;
  return 0;
}

/* Open ns/<type> of every namespace the init does not share with us. */
static int
open_namespaces (struct exec_run *x, int procfd, husk_error_t *err)
{
  for (int t = 0; t < HUSK_NS_COUNT; t++)
    {
      char path[64];
      struct stat theirs, ours;
      int fd;
      snprintf (path, sizeof path, "ns/%s", husk_ns_proc_name (t));
      fd = openat (procfd, path, O_RDONLY | O_CLOEXEC);
      if (fd < 0 && errno == ENOENT)
        continue; /* the kernel has no such namespace type */
      if (fd < 0)
        return husk_error (err, errno, "open the container's %s namespace", husk_ns_name (t));
      snprintf (path, sizeof path, "/proc/self/ns/%s", husk_ns_proc_name (t));
      if (fstat (fd, &theirs) == 0 && stat (path, &ours) == 0 && theirs.st_ino == ours.st_ino
          && theirs.st_dev == ours.st_dev)
        {
          close (fd); /* shared with us: joining it would change nothing (and fails for user) */
          continue;
        }
      x->ctx.ns_fds[t] = fd;
    }
  return 0;
}

static int
open_init (struct exec_run *x, husk_error_t *err)
{
  char path[64], state = 0;
  cleanup_close int procfd = -1;
  unsigned long long start;
  snprintf (path, sizeof path, "/proc/%d", x->c->pid);
  procfd = open (path, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (procfd < 0)
    return husk_error (err, 0, "cannot exec in a stopped container `%s`", x->c->id);
  /* Checked after the open: the fd now pins this very process. */
  start = husk_pid_start_time (x->c->pid, &state);
  if (start == 0 || state == 'Z' || (x->c->pid_start && start != x->c->pid_start))
    return husk_error (err, 0, "cannot exec in a stopped container `%s`", x->c->id);
  if (open_namespaces (x, procfd, err) < 0)
    return -1;
  x->ctx.root_fd = openat (procfd, "root", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (x->ctx.root_fd < 0)
    return husk_error (err, errno, "open the container's root directory");
  return 0;
}

static int
check_terminal (struct exec_run *x, husk_error_t *err)
{
  const struct husk_exec_opts *o = x->ctx.o;
  if (x->ctx.p->terminal && o->detach && o->console_socket == NULL)
    return husk_error (err, 0, "cannot allocate a terminal when detaching without --console-socket");
  if (!x->ctx.p->terminal && o->console_socket)
    return husk_error (err, 0, "--console-socket needs a terminal (-t, or process.terminal in --process)");
  return 0;
}

static int
setup_console (struct exec_run *x, husk_error_t *err)
{
  struct husk_exec_ctx *ctx = &x->ctx;
  int sv[2];
  if (!ctx->p->terminal)
    return 0;
  if (ctx->o->console_socket)
    {
      ctx->console_fd = husk_console_socket_connect (ctx->o->console_socket, err);
      return ctx->console_fd < 0 ? -1 : 0;
    }
  /* Foreground: we relay the pty ourselves; it reaches us over a pair. */
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
    return husk_error (err, errno, "terminal: socketpair");
  ctx->console_peer = sv[0];
  ctx->console_fd = sv[1];
  /* Start at our terminal's size, so the process never sees another. */
  if (ioctl (STDIN_FILENO, TIOCGWINSZ, &ctx->ws) < 0 && ioctl (STDOUT_FILENO, TIOCGWINSZ, &ctx->ws) < 0)
    ctx->ws = (struct winsize){ 0 };
  return 0;
}

static char *
state_string (struct husk_container *c)
{
  json_object *o = husk_container_state_json (c);
  char *s
      = strdup (json_object_to_json_string_ext (o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
  json_object_put (o);
  return s;
}

static int
prepare (struct exec_run *x, husk_error_t *err)
{
  struct husk_exec_ctx *ctx = &x->ctx;
  int sv[2];
  if (husk_container_load (ctx->o->root, ctx->o->id, &x->c, err) < 0 || check_status (x, err) < 0)
    return -1;
  ctx->lock_fd = x->c->lock_fd;
  ctx->in_userns = x->c->in_userns;
  ctx->no_new_keyring = x->c->no_new_keyring;
  if (husk_container_config (x->c, &x->cfg, err) < 0
      || husk_exec_build_process (ctx->o, x->cfg, &ctx->p, &x->process_json, err) < 0
      || check_terminal (x, err) < 0)
    return -1;
  if (ctx->p->caps.present && husk_caps_check_for (&ctx->p->caps, ctx->in_userns, err) < 0)
    return -1;
  if (husk_lsm_check (x->cfg, ctx->p, err) < 0
      || husk_seccomp_prepare (x->cfg->seccomp, &ctx->seccomp, err) < 0)
    return -1;
  if (open_init (x, err) < 0 || setup_console (x, err) < 0)
    return -1;
  ctx->state_json = state_string (x->c);
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    return husk_error (err, errno, "exec: socketpair");
  ctx->parent_fd = sv[0];
  ctx->sync_fd = sv[1];
  return 0;
}

static void
kill_children (struct exec_run *x)
{
  pid_t *pids[] = { &x->mid, &x->pid };
  for (size_t i = 0; i < 2; i++)
    if (*pids[i] > 0)
      {
        kill (*pids[i], SIGKILL);
        while (waitpid (*pids[i], NULL, 0) < 0 && errno == EINTR)
          ;
        *pids[i] = 0;
      }
}

/* Both children get our error text or nothing: EOF means the process
 * exec'd (the socket is CLOEXEC). */
static int
wait_exec (struct exec_run *x, husk_error_t *err)
{
  struct husk_sync_msg m;
  ssize_t r;
  do
    r = recv (x->ctx.parent_fd, &m, sizeof m, 0);
  while (r < 0 && errno == EINTR);
  if (r == 0)
    return 0;
  if (r < 0)
    return husk_error (err, errno, "exec: read from the process");
  m.text[sizeof m.text - 1] = '\0';
  return husk_error (err, 0, "%s", m.type == HUSK_SYNC_ERROR ? m.text : "exec: unexpected message");
}

static int
spawn (struct exec_run *x, husk_error_t *err)
{
  struct husk_exec_ctx *ctx = &x->ctx, child;
  int32_t pid = 0;
  int st;
  /* A paused cgroup would freeze the process before its exec: it joins
   * after (only with --ignore-paused). */
  ctx->cgroup = x->c->cgroup;
  ctx->join_cgroup = !x->paused;
  child = *ctx;
  if (ctx->ns_fds[HUSK_NS_TIME] >= 0)
    {
      /* Joining a time namespace switches the caller's vDSO clock data,
       * so the kernel refuses it to a process sharing its memory. */
      x->mid = fork ();
      if (x->mid < 0)
        return husk_error (err, errno, "exec: fork");
      if (x->mid == 0)
        husk_exec_intermediate (&child);
    }
  /* Returns once the intermediate has exited, and so the process has
   * exec'd or failed: both have reported on the socket. */
  else if (husk_clone_shared (husk_exec_intermediate, &child, 0, &x->mid, err) < 0)
    return husk_error_prefix (err, "exec: start the intermediate process");
  close (ctx->sync_fd);
  ctx->sync_fd = -1;
  if (husk_sync_expect (ctx->parent_fd, HUSK_SYNC_INIT_PID, &pid, err) < 0)
    {
      /* A failing process reports before the intermediate sends its pid
       * (it exits first): read on for the pid, so that we reap it and no
       * zombie goes to our subreaper (a shim) after we exit. */
      husk_error_t later = NULL;
      if (husk_sync_expect (ctx->parent_fd, HUSK_SYNC_INIT_PID, &pid, &later) == 0)
        x->pid = pid;
      husk_error_free (&later);
      return -1;
    }
  x->pid = pid;
  waitpid (x->mid, &st, 0);
  x->mid = 0;
  if (wait_exec (x, err) < 0)
    return -1;
  if (x->paused && husk_exec_enter_cgroup (x->c->cgroup, ctx->o->cgroups, x->pid, err) < 0)
    return -1;
  return 0;
}

static int
write_pid_file (const char *path, pid_t pid, husk_error_t *err)
{
  char buf[16];
  int n = snprintf (buf, sizeof buf, "%d", pid);
  if (path && husk_write_file_atomic (path, buf, (size_t)n, 0644, err) < 0)
    return husk_error_prefix (err, "--pid-file");
  return 0;
}

static void
release (struct exec_run *x)
{
  struct husk_exec_ctx *ctx = &x->ctx;
  int *fds[]
      = { &ctx->sync_fd, &ctx->parent_fd, &ctx->root_fd, &ctx->console_fd, &ctx->console_peer, &x->master };
  for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
    if (*fds[i] >= 0)
      {
        close (*fds[i]);
        *fds[i] = -1;
      }
  husk_ns_close (ctx->ns_fds);
  husk_seccomp_free (ctx->seccomp);
  ctx->seccomp = NULL;
  free (ctx->state_json);
  ctx->state_json = NULL;
  husk_process_free (ctx->p);
  ctx->p = NULL;
  json_object_put (x->process_json);
  x->process_json = NULL;
  husk_config_free (x->cfg);
  x->cfg = NULL;
  husk_container_free (x->c);
  x->c = NULL;
}

int
husk_container_exec (const struct husk_exec_opts *o, int *status, husk_error_t *err)
{
  struct exec_run x = { .ctx = { .o = o,
                                 .sync_fd = -1,
                                 .parent_fd = -1,
                                 .lock_fd = -1,
                                 .root_fd = -1,
                                 .console_fd = -1,
                                 .console_peer = -1 },
                        .master = -1 };
  sigset_t all;
  int r = -1;
  *status = 0;
  for (int t = 0; t < HUSK_NS_COUNT; t++)
    x.ctx.ns_fds[t] = -1;
  /* Before we open anything: which of the fds to preserve are the caller's. */
  x.ctx.preserved = calloc ((size_t)o->preserve_fds + 1, sizeof (bool));
  if (x.ctx.preserved == NULL)
    return husk_error (err, ENOMEM, "exec");
  for (int i = 0; i < o->preserve_fds; i++)
    x.ctx.preserved[i] = fcntl (3 + i, F_GETFD) >= 0;
  /* Blocked from before the fork: no signal for the process is lost
   * between its start and our wait. The process unblocks them. */
  sigfillset (&all);
  sigprocmask (SIG_BLOCK, &all, &x.old_mask);
  /* Nothing in the container may ptrace the children or open their /proc. */
  prctl (PR_SET_DUMPABLE, 0, 0, 0, 0);
  if (prepare (&x, err) < 0 || spawn (&x, err) < 0 || write_pid_file (o->pid_file, x.pid, err) < 0)
    goto out;
  if (x.ctx.console_peer >= 0 && husk_recv_fd (x.ctx.console_peer, &x.master, 1, err) < 0)
    goto out;
  r = 0;
  if (o->detach)
    {
      x.pid = 0;
      goto out;
    }
  {
    pid_t pid = x.pid;
    int master = x.master;
    x.pid = 0;
    x.master = -1;
    /* Drop the lock and everything else before the long wait. */
    release (&x);
    r = *status = husk_foreground_wait (master, pid, err);
    if (r > 0)
      r = 0;
    else if (r < 0)
      x.pid = pid;
  }
out:
  if (r < 0)
    kill_children (&x);
  release (&x);
  free (x.ctx.preserved);
  sigprocmask (SIG_SETMASK, &x.old_mask, NULL);
  return r;
}
