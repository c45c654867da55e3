/* The two processes of `exec` on the container's side.
 *
 * Both share husk's memory until they exec or exit (linux/shared_clone.h):
 * husk is suspended until the intermediate exits, and the intermediate
 * until the process execs, so only one of the three runs at a time and
 * nothing waits for another. (To join a time namespace the intermediate
 * is a fork-like child instead: the kernel refuses that setns to a shared
 * mm.) The intermediate joins the container's cgroup, sets the rlimits
 * (from the host side, where raising them is still possible), joins the
 * namespaces (user first, mount last) and clones the process itself:
 * joining a pid or time namespace only takes effect for children.
 * CLONE_PARENT makes that process husk's child, so husk can wait for it.
 *
 * A failing process reports before the intermediate does (it exits
 * first), so husk may read its ERROR where it expects the pid; husk then
 * reads on for the pid, to reap the process.
 *
 * The process takes the init's root directory, starts a session, sets up
 * the terminal, drops to the user's identity and execs. Every error before
 * the exec goes to husk as one message on the CLOEXEC socket: EOF with no
 * message means the exec succeeded. */
#include "container/exec_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <linux/keyctl.h>
#include <termios.h>
#include <unistd.h>

#include "container/sync.h"
#include "linux/caps.h"
#include "linux/cwd.h"
#include "linux/lsm.h"
#include "linux/namespaces.h"
#include "linux/process.h"
#include "linux/seccomp.h"
#include "linux/shared_clone.h"
#include "linux/terminal.h"
#include "util/fs.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO ('T', 0x41)
#endif

__attribute__ ((noreturn)) static void
fail (struct husk_exec_ctx *ctx, husk_error_t *err)
{
  const char *msg = (err && *err) ? (*err)->msg : "unknown error";
  husk_error_t e2 = NULL;
  if (husk_sync_send (ctx->sync_fd, HUSK_SYNC_ERROR, 0, msg, &e2) < 0)
    dprintf (2, "husk: exec: %s\n", msg);
  husk_error_free (&e2);
  _exit (1);
}

/* Our own fds must not sit where the preserved ones go (3..keep-1). */
static int
move_above (int *fd, int keep, husk_error_t *err)
{
  int n;
  if (*fd < 0 || *fd >= keep)
    return 0;
  n = fcntl (*fd, F_DUPFD_CLOEXEC, keep);
  if (n < 0)
    return husk_error (err, errno, "exec: move fd %d", *fd);
  close (*fd);
  *fd = n;
  return 0;
}

static void
reset_signals (void)
{
  sigset_t none;
  for (int s = 1; s < NSIG; s++)
    if (s != SIGKILL && s != SIGSTOP)
      signal (s, SIG_DFL);
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
}

/* The root the init sees. Joining the mount namespace alone gives the
 * namespace's root, which is not the container's after a chroot
 * (--no-pivot). */
static int
enter_root (struct husk_exec_ctx *ctx, husk_error_t *err)
{
  if (fchdir (ctx->root_fd) < 0 || chroot (".") < 0)
    return husk_error (err, errno, "exec: enter the container's root directory");
  close (ctx->root_fd);
  ctx->root_fd = -1;
  return 0;
}

static int
open_slave (int master, char *name, size_t len, husk_error_t *err)
{
  int slave;
  if (unlockpt (master) < 0 || ptsname_r (master, name, len) != 0)
    return husk_error (err, errno, "terminal: unlock the pty");
  /* TIOCGPTPEER opens the slave of this very master, without a path the
   * container could have replaced. */
  slave = ioctl (master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0)
    slave = open (name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0)
    return husk_error (err, errno, "terminal: open `%s`", name);
  return slave;
}

/* Like the init's terminal, without making the pty /dev/console: that
 * belongs to the container's init. */
static int
setup_terminal (struct husk_exec_ctx *ctx, husk_error_t *err)
{
  cleanup_close int master = -1, slave = -1;
  struct winsize ws = ctx->ws;
  char name[64];
  struct stat st;
  master = open ("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0)
    return husk_error (err, errno, "terminal: open /dev/ptmx in the container");
  if (fstat (master, &st) < 0 || !S_ISCHR (st.st_mode) || major (st.st_rdev) != 5 || minor (st.st_rdev) != 2)
    return husk_error (err, 0, "terminal: /dev/ptmx in the container is not the pty multiplexer");
  slave = open_slave (master, name, sizeof name, err);
  if (slave < 0)
    return -1;
  if (ws.ws_row == 0 && ws.ws_col == 0)
    ws = (struct winsize){ .ws_row = (unsigned short)ctx->p->console_height,
                           .ws_col = (unsigned short)ctx->p->console_width };
  if ((ws.ws_row || ws.ws_col) && ioctl (slave, TIOCSWINSZ, &ws) < 0)
    return husk_error (err, errno, "terminal: set the window size");
  if (husk_send_fd (ctx->console_fd, master, name, err) < 0)
    return -1;
  close (ctx->console_fd);
  ctx->console_fd = -1;
  if (ioctl (slave, TIOCSCTTY, 0) < 0)
    return husk_error (err, errno, "terminal: make it the controlling terminal");
  for (int i = 0; i < 3; i++)
    if (dup2 (slave, i) < 0)
      return husk_error (err, errno, "terminal: dup2");
  return 0;
}

/* HOME of uid from the container's /etc/passwd; NULL if not found. Only
 * a regular file is read, so a fifo there cannot block us. */
static char *
passwd_home (uid_t uid)
{
  cleanup_free char *text = NULL;
  char *save = NULL, *home = NULL;
  struct stat st;
  int fd = open ("/etc/passwd", O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    return NULL;
  if (fstat (fd, &st) < 0 || !S_ISREG (st.st_mode) || st.st_size > (1 << 22)
      || (text = calloc (1, (size_t)st.st_size + 1)) == NULL
      || husk_read_all (fd, text, (size_t)st.st_size) < 0)
    {
      close (fd);
      return NULL;
    }
  close (fd);
  for (char *line = strtok_r (text, "\n", &save); line && !home; line = strtok_r (NULL, "\n", &save))
    {
      char *f[7] = { NULL };
      char *p = line;
      int n = 0;
      for (; n < 7 && p; n++)
        {
          f[n] = p;
          p = strchr (p, ':');
          if (p)
            *p++ = '\0';
        }
      if (n >= 6 && f[2][0] && strtoul (f[2], NULL, 10) == uid
          && strspn (f[2], "0123456789") == strlen (f[2]))
        home = strdup (f[5]);
    }
  return home;
}

static int
setup_env (struct husk_exec_ctx *ctx, husk_error_t *err)
{
  cleanup_free char *home = passwd_home (ctx->p->uid);
  char *home_var = NULL;
  char **env = husk_exec_env (ctx->p->env, home ? home : "/", &home_var);
  if (env == NULL)
    return husk_error (err, ENOMEM, "exec: environment");
  /* The old vector's strings stay valid (borrowed); home_var lives until exec. */
  free (ctx->p->env);
  ctx->p->env = env;
  return 0;
}

/* Only fds the caller gave us: one of ours that landed in a gap of the
 * range stays close-on-exec. */
/* As runc: a session keyring of the container's, not the caller's. */
static int
join_session_keyring (struct husk_exec_ctx *ctx, husk_error_t *err)
{
  char name[300];
  if (ctx->no_new_keyring)
    return 0;
  snprintf (name, sizeof name, "_ses.%s", ctx->o->id);
  if (syscall (SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, name, 0, 0, 0) < 0 && errno != EPERM
      && errno != ENOSYS && errno != EACCES && errno != EDQUOT)
    return husk_error (err, errno, "exec: join the session keyring");
  return 0;
}

static int
pass_preserved_fds (struct husk_exec_ctx *ctx, int keep, husk_error_t *err)
{
  if (husk_cloexec_fds_from (3, err) < 0)
    return -1;
  for (int fd = 3; fd < keep; fd++)
    if (ctx->preserved[fd - 3] && fcntl (fd, F_SETFD, 0) < 0)
      return husk_error (err, errno, "--preserve-fds: fd %d", fd);
  return 0;
}

static int
prepare (struct husk_exec_ctx *ctx, char **exe, husk_error_t *err)
{
  const struct husk_process *p = ctx->p;
  if (enter_root (ctx, err) < 0)
    return -1;
  if (setsid () < 0)
    return husk_error (err, errno, "exec: setsid");
  if (p->terminal && setup_terminal (ctx, err) < 0)
    return -1;
  if (join_session_keyring (ctx, err) < 0)
    return -1;
  /* CVE-2024-21626: the cwd resolves inside the container, never through
   * an fd of ours (/proc/self/fd/N). */
  if (husk_chdir_in_container (p->cwd, err) < 0)
    return husk_error_prefix (err, "exec: cwd");
  if (setup_env (ctx, err) < 0 || husk_find_executable (p, exe, err) < 0)
    return -1;
  return 0;
}

__attribute__ ((noreturn)) static int
process_main (void *arg)
{
  struct husk_exec_ctx *ctx = arg;
  husk_error_t err = NULL;
  cleanup_free char *exe = NULL;
  int keep = 3 + ctx->o->preserve_fds;
  reset_signals ();
  if (move_above (&ctx->sync_fd, keep, &err) < 0 || move_above (&ctx->console_fd, keep, &err) < 0
      || prepare (ctx, &exe, &err) < 0)
    fail (ctx, &err);
  /* CVE-2024-21626: nothing of ours may reach the process. */
  if (pass_preserved_fds (ctx, keep, &err) < 0)
    fail (ctx, &err);
  /* LSM label, identity and seccomp in the order noNewPrivileges needs;
   * after it only execve (the filter may block anything else). */
  if (husk_process_finalize (ctx->p, ctx->in_userns, ctx->seccomp, ctx->state_json, &err) < 0)
    fail (ctx, &err);
  execve (exe, ctx->p->args, ctx->p->env);
  husk_error (&err, errno, "exec `%s`", exe);
  fail (ctx, &err);
}

int
husk_exec_intermediate (void *arg)
{
  struct husk_exec_ctx *ctx = arg, process;
  husk_error_t err = NULL;
  pid_t pid;
  close (ctx->parent_fd);
  close (ctx->lock_fd);
  if (ctx->console_peer >= 0)
    close (ctx->console_peer);
  /* Before the namespaces, from the host side: the process inherits it. */
  if (ctx->join_cgroup && husk_exec_enter_cgroup (ctx->cgroup, ctx->o->cgroups, getpid (), &err) < 0)
    fail (ctx, &err);
  if (husk_set_rlimits (ctx->p, &err) < 0 || husk_set_oom_score_adj (ctx->p, &err) < 0
      || husk_ns_join (ctx->ns_fds, &err) < 0)
    fail (ctx, &err);
  husk_ns_close (ctx->ns_fds);
  /* Its own copy: it moves fds around that we still use after it. */
  process = *ctx;
  if (husk_clone_shared (process_main, &process, CLONE_PARENT, &pid, &err) < 0)
    {
      husk_error_prefix (&err, "exec: start the process in the container");
      fail (ctx, &err);
    }
  husk_sync_send (ctx->sync_fd, HUSK_SYNC_INIT_PID, pid, NULL, NULL);
  _exit (0);
}
