/* The init, from clone() to execve().
 *
 * Ordering matters here, and each step says why it sits where it does:
 *   1. join the cgroup the parent made before the clone, so all we do is
 *      charged to it. In a new user namespace we are nobody, could not
 *      write the host's cgroup files and must not create anything (files
 *      would be owned by the overflow id): there we wait for SETUP_DONE,
 *      sent once the parent has put us in the cgroup and written our maps.
 *   2. become root in a new user namespace, unshare the cgroup namespace
 *      (only now that we sit in the container's cgroup, so that cgroup is
 *      the namespace's root).
 *   3. hostname, then the rootfs mounts; the parent runs the prestart and
 *      createRuntime hooks while we wait (they see our namespaces but the
 *      host's root); we run createContainer hooks; then pivot_root and
 *      masked/readonly paths.
 *   4. everything that can fail for the user's spec is checked before
 *      READY (sysctl, rlimits, terminal, cwd, the executable, capabilities,
 *      seccomp compile, LSM), so `create` reports it and nothing of the
 *      user's process has run.
 *   5. READY, then block reading the exec fifo until `start` (`run`:
 *      wait for START on the socket, no fifo).
 *   6. startContainer hooks, then husk_process_finalize: LSM label,
 *      identity/capabilities and seccomp
 *      last (so it filters the user's program and not our setup), exec. */
#include "container/init.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <linux/keyctl.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <unistd.h>

#include "container/internal.h"
#include "container/sync.h"
#include "linux/caps.h"
#include "linux/cgroups/cgroup.h"
#include "linux/cwd.h"
#include "linux/hooks.h"
#include "linux/lsm.h"
#include "linux/namespaces.h"
#include "linux/process.h"
#include "linux/rootfs.h"
#include "linux/seccomp.h"
#include "linux/terminal.h"
#include "util/fs.h"
#include "util/log.h"

__attribute__ ((noreturn)) static void
fail (struct husk_init_ctx *ctx, husk_error_t *err)
{
  const char *msg = (err && *err) ? (*err)->msg : "unknown error";
  if (ctx->sync_fd >= 0)
    {
      husk_error_t e2 = NULL;
      if (husk_sync_send (ctx->sync_fd, HUSK_SYNC_ERROR, 0, msg, &e2) < 0)
        dprintf (2, "husk: %s\n", msg);
      husk_error_free (&e2);
    }
  else if (ctx->start_fd >= 0)
    /* After the release: `start` (or `run`) reads this and reports it. */
    husk_write_all (ctx->start_fd, msg, strlen (msg));
  else
    dprintf (2, "husk: %s\n", msg);
  _exit (1);
}

static int
become_root_in_userns (struct husk_init_ctx *ctx, husk_error_t *err)
{
  if (!ctx->new_userns)
    return 0;
  if (setresgid (0, 0, 0) < 0)
    return husk_error (err, errno, "user namespace: setgid 0 (is gid 0 mapped?)");
  if (setresuid (0, 0, 0) < 0)
    return husk_error (err, errno, "user namespace: setuid 0 (is uid 0 mapped?)");
  return 0;
}

/* The cgroup namespace comes only once we sit in the container's
 * cgroup, so that cgroup is its root. */
static int
enter_cgroup_ns (struct husk_init_ctx *ctx, husk_error_t *err)
{
  ctx->hide_cpuset = husk_cgroup_cpuset_shared (ctx->cg);
  if (husk_ns_is_new (ctx->cfg, HUSK_NS_CGROUP) && unshare (CLONE_NEWCGROUP) < 0)
    return husk_error (err, errno, "create cgroup namespace");
  return 0;
}

/* A new user namespace: SETUP_DONE says the parent has put us in the
 * cgroup and written our maps. */
static int
wait_setup_done (struct husk_init_ctx *ctx, husk_error_t *err)
{
  int32_t pid;
  if (husk_sync_expect (ctx->sync_fd, HUSK_SYNC_SETUP_DONE, &pid, err) < 0)
    return -1;
  ctx->host_pid = pid;
  if (become_root_in_userns (ctx, err) < 0)
    return -1;
  return enter_cgroup_ns (ctx, err);
}

/* Otherwise we join the cgroup ourselves, first thing, so that all we do
 * is charged to it, and no round trip with the parent is needed. */
static int
join_cgroup (struct husk_init_ctx *ctx, husk_error_t *err)
{
  char self[32];
  ssize_t n;
  if (ctx->cg && husk_cgroup_enter (ctx->cg, 0, err) < 0)
    return -1;
  /* Our pid as the host sees it, for the state our hooks and a seccomp
   * listener get: the host's /proc is still the one mounted here. */
  n = readlink ("/proc/self", self, sizeof self - 1);
  if (n > 0)
    {
      self[n] = '\0';
      ctx->host_pid = atoi (self);
    }
  return enter_cgroup_ns (ctx, err);
}

static int
setup_namespaces (struct husk_init_ctx *ctx, husk_error_t *err)
{
  if ((ctx->new_userns ? wait_setup_done (ctx, err) : join_cgroup (ctx, err)) < 0)
    return -1;
  if (husk_ns_is_new (ctx->cfg, HUSK_NS_UTS) && husk_set_hostname (ctx->cfg, err) < 0)
    return -1;
  /* Compile seccomp now: a bad profile fails `create`, and a notify
   * listenerPath must be connected while the host filesystem is visible. */
  if (husk_seccomp_prepare (ctx->cfg->seccomp, &ctx->seccomp, err) < 0)
    return -1;
  return 0;
}

static int
setup_rootfs (struct husk_init_ctx *ctx, const struct husk_rootfs_opts *ro, husk_error_t *err)
{
  const struct husk_config *cfg = ctx->cfg;
  if (husk_rootfs_prepare (cfg, ro, err) < 0)
    return husk_error_prefix (err, "rootfs");
  if (cfg->hooks[HUSK_HOOK_PRESTART].n || cfg->hooks[HUSK_HOOK_CREATE_RUNTIME].n)
    {
      if (husk_sync_send (ctx->sync_fd, HUSK_SYNC_HOOKS, 0, NULL, err) < 0
          || husk_sync_expect (ctx->sync_fd, HUSK_SYNC_HOOKS_DONE, NULL, err) < 0)
        return -1;
    }
  if (cfg->hooks[HUSK_HOOK_CREATE_CONTAINER].n)
    {
      cleanup_free char *state = husk_init_state_json (ctx, "created");
      if (husk_hooks_run (cfg, HUSK_HOOK_CREATE_CONTAINER, state, err) < 0)
        return -1;
    }
  if (husk_rootfs_pivot (cfg, ro, err) < 0)
    return husk_error_prefix (err, "rootfs");
  if (husk_rootfs_finalize (cfg, ro, err) < 0)
    return husk_error_prefix (err, "rootfs");
  return 0;
}

/* runc gives every container its own session keyring so containers do
 * not share keys; EPERM/ENOSYS (user namespaces, keyrings off) are fine. */
static int
join_session_keyring (struct husk_init_ctx *ctx, husk_error_t *err)
{
  char name[300];
  if (ctx->opts->no_new_keyring)
    return 0;
  snprintf (name, sizeof name, "_ses.%s", ctx->opts->id);
  if (syscall (SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, name, 0, 0, 0) < 0 && errno != EPERM
      && errno != ENOSYS && errno != EACCES && errno != EDQUOT)
    return husk_error (err, errno, "join a new session keyring");
  return 0;
}

/* socket activation: fds 3..3+LISTEN_FDS-1 pass through like
 * --preserve-fds, and the program learns of them through the env. */
static int
add_listen_fds_env (struct husk_init_ctx *ctx, husk_error_t *err)
{
  struct husk_process *p = ctx->cfg->process;
  size_t n = 0;
  char **env;
  if (ctx->listen_fds <= 0)
    return 0;
  while (p->env[n])
    n++;
  env = calloc (n + 3, sizeof *env);
  if (env == NULL)
    return husk_error (err, ENOMEM, "LISTEN_FDS");
  memcpy (env, p->env, n * sizeof *env);
  if (asprintf (&env[n], "LISTEN_FDS=%d", ctx->listen_fds) < 0
      || asprintf (&env[n + 1], "LISTEN_PID=%d", getpid ()) < 0)
    return husk_error (err, ENOMEM, "LISTEN_FDS");
  free (p->env);
  p->env = env;
  return 0;
}

/* Everything that could fail because of the user's spec, checked while
 * the parent can still report it. */
static int
prepare_process (struct husk_init_ctx *ctx, char **exe, husk_error_t *err)
{
  const struct husk_process *p = ctx->cfg->process;
  if (husk_set_sysctls (ctx->cfg, err) < 0 || husk_set_oom_score_adj (p, err) < 0
      || husk_set_rlimits (p, err) < 0)
    return -1;
  if (p->terminal && husk_terminal_setup (p, ctx->console_fd, err) < 0)
    return -1;
  /* runc creates a missing cwd; we are past pivot_root, so the path
   * (symlinks included) resolves inside the container. */
  if (husk_chdir_in_container (p->cwd, err) < 0)
    {
      if ((*err)->errno_ != ENOENT)
        return -1;
      husk_error_free (err);
      if (husk_mkdir_p (p->cwd, 0755, err) < 0 || husk_chdir_in_container (p->cwd, err) < 0)
        return -1;
    }
  if (husk_find_executable (p, exe, err) < 0)
    return -1;
  /* `create` hears of it now; `run` execs right away and checks there. */
  if (!ctx->sealed && !ctx->opts->start_now && husk_exec_check_not_self (*exe, &ctx->self, err) < 0)
    return -1;
  if (join_session_keyring (ctx, err) < 0 || add_listen_fds_env (ctx, err) < 0)
    return -1;
  if (p->caps.present && husk_caps_check (&p->caps, err) < 0)
    return -1;
  if (husk_lsm_check (ctx->cfg, p, err) < 0)
    return -1;
  return 0;
}

static int
wait_for_start (struct husk_init_ctx *ctx, husk_error_t *err)
{
  char c;
  ssize_t r;
  if (husk_sync_send (ctx->sync_fd, HUSK_SYNC_READY, 0, NULL, err) < 0)
    return -1;
  /* `run` releases us over the socket (or, with start_early, at once:
   * START would follow READY with nothing in between) and keeps it to hear
   * of a failure until our execve closes it; `create` leaves it for the
   * exec fifo. */
  if (ctx->fifo_fd < 0)
    return ctx->opts->start_early ? 0 : husk_sync_expect (ctx->sync_fd, HUSK_SYNC_START, NULL, err);
  close (ctx->sync_fd);
  ctx->sync_fd = -1;
  do
    r = read (ctx->fifo_fd, &c, 1);
  while (r < 0 && errno == EINTR);
  if (r != 1)
    return husk_error (err, errno, "wait for start on the exec fifo");
  close (ctx->fifo_fd);
  ctx->fifo_fd = -1;
  return 0;
}

static int
finish_and_exec (struct husk_init_ctx *ctx, const char *exe, husk_error_t *err)
{
  const struct husk_process *p = ctx->cfg->process;
  int keep = 3 + ctx->opts->preserve_fds + ctx->listen_fds;
  if (ctx->cfg->hooks[HUSK_HOOK_START_CONTAINER].n)
    {
      cleanup_free char *state = husk_init_state_json (ctx, "running");
      if (husk_hooks_run (ctx->cfg, HUSK_HOOK_START_CONTAINER, state, err) < 0)
        return -1;
    }
  /* CVE-2024-21626: no fd of ours may reach the container. Before the
   * seccomp filter, which may block close_range. */
  if (husk_cloexec_fds_from (keep, err) < 0)
    return -1;
  /* Again: the rootfs may have changed since `create` checked. */
  if (!ctx->sealed && husk_exec_check_not_self (exe, &ctx->self, err) < 0)
    return -1;
  {
    cleanup_free char *state = husk_init_state_json (ctx, "running");
    /* LSM label, identity, capabilities, NNP and seccomp, in the order
     * noNewPrivileges needs (see linux/seccomp.h). */
    if (husk_process_finalize (p, ctx->new_userns, ctx->seccomp, state, err) < 0)
      return -1;
  }
  execve (exe, p->args, p->env);
  return husk_error (err, errno, "exec `%s`", exe);
}

void
husk_init_main (struct husk_init_ctx *ctx)
{
  husk_error_t err = NULL;
  cleanup_free char *exe = NULL;
  struct husk_rootfs_opts ro = { .hide_cpuset = &ctx->hide_cpuset,
                                 .rootfs = ctx->rootfs,
                                 .no_pivot = ctx->opts->no_pivot,
                                 .bundle = ctx->bundle,
                                 .in_userns = ctx->new_userns };
  sigset_t none;
  /* `run` blocks every signal to forward them; the container must start
   * with none blocked, as exec keeps the mask. */
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
  /* The parent's lock and its end of the socket must not live on here:
   * the lock would block every later command on this id. */
  close (ctx->lock_fd);
  close (ctx->parent_sync_fd);
  husk_ns_close (ctx->ns_fds);
  /* Keep host resources out of reach of ptrace and /proc/PID/exe. */
  prctl (PR_SET_DUMPABLE, 0, 0, 0, 0);
  if (setup_namespaces (ctx, &err) < 0 || setup_rootfs (ctx, &ro, &err) < 0
      || prepare_process (ctx, &exe, &err) < 0 || wait_for_start (ctx, &err) < 0)
    fail (ctx, &err);
  finish_and_exec (ctx, exe, &err);
  fail (ctx, &err);
}
