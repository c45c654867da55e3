/* How the parent makes the container's init: a fork-like clone, through
 * an intermediate process, or, for `run`, sharing our memory until the
 * init execs (see husk_spawn_init in container/init.h). */
#include "container/init.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "container/sync.h"
#include "linux/namespaces.h"
#include "linux/shared_clone.h"
#include "util/log.h"

static pid_t
raw_clone (unsigned long flags)
{
  /* fork()-like clone: the child runs on a copy of our stack. */
  return (pid_t)syscall (SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, 0);
}

/* Joined namespaces and a new time namespace only take effect for
 * children, so an intermediate process joins/unshares them and clones the
 * init with CLONE_PARENT: the init is still our child (so `run` can wait
 * for it) and the intermediate exits at once. */
__attribute__ ((noreturn)) static void
intermediate_main (struct husk_init_ctx *ctx, int flags)
{
  husk_error_t err = NULL;
  pid_t pid;
  if (husk_ns_join (ctx->ns_fds, &err) < 0
      || (husk_ns_is_new (ctx->cfg, HUSK_NS_TIME) && husk_ns_unshare_time (ctx->cfg, &err) < 0))
    {
      husk_sync_send (ctx->sync_fd, HUSK_SYNC_ERROR, 0, err->msg, NULL);
      _exit (1);
    }
  pid = (pid_t)syscall (SYS_clone, (unsigned long)flags | CLONE_PARENT, NULL, NULL, NULL, 0);
  if (pid < 0)
    {
      husk_error (&err, errno, "clone the container init");
      husk_sync_send (ctx->sync_fd, HUSK_SYNC_ERROR, 0, err->msg, NULL);
      _exit (1);
    }
  if (pid == 0)
    husk_init_main (ctx);
  husk_sync_send (ctx->sync_fd, HUSK_SYNC_INIT_PID, pid, NULL, NULL);
  _exit (0);
}

static int
via_intermediate (struct husk_init_ctx *ctx, int flags, pid_t *pid, husk_error_t *err)
{
  pid_t mid = raw_clone (0);
  int status;
  int32_t init = 0;
  if (mid < 0)
    return husk_error (err, errno, "fork");
  if (mid == 0)
    intermediate_main (ctx, flags);
  if (husk_sync_expect (ctx->parent_sync_fd, HUSK_SYNC_INIT_PID, &init, err) < 0)
    {
      waitpid (mid, &status, 0);
      return -1;
    }
  *pid = init;
  waitpid (mid, &status, 0);
  return 0;
}

/* Whether the parent has nothing to do between the clone and the init's
 * execve: `run` (no START to wait for), no new user namespace (maps to
 * write) and no prestart/createRuntime hooks (run by the parent while the
 * init waits). */
static bool
parent_idle_until_exec (const struct husk_init_ctx *ctx)
{
  const struct husk_config *cfg = ctx->cfg;
  return ctx->opts->start_early && !ctx->new_userns && cfg->hooks[HUSK_HOOK_PRESTART].n == 0
         && cfg->hooks[HUSK_HOOK_CREATE_RUNTIME].n == 0;
}

static int
shared_init_main (void *arg)
{
  husk_init_main (arg);
}

/* See linux/shared_clone.h; safe here because we have nothing to do until
 * the init execs. If the init were killed by a signal in the middle of
 * malloc our heap could be left inconsistent; no process of the container
 * exists yet that could send it one. */
static int
shared_vm_clone (struct husk_init_ctx *ctx, int flags, pid_t *pid, husk_error_t *err)
{
  struct husk_init_ctx copy = *ctx;
  if (husk_clone_shared (shared_init_main, &copy, (unsigned long)flags, pid, err) < 0)
    return husk_error_prefix (err, "the container init");
  return 0;
}

int
husk_spawn_init (struct husk_init_ctx *ctx, pid_t *pid, husk_error_t *err)
{
  int flags = husk_ns_clone_flags (ctx->cfg);
  bool need_intermediate = husk_ns_is_new (ctx->cfg, HUSK_NS_TIME);
  for (int t = 0; t < HUSK_NS_COUNT; t++)
    need_intermediate |= ctx->ns_fds[t] >= 0;
  if (need_intermediate)
    return via_intermediate (ctx, flags, pid, err);
  if (parent_idle_until_exec (ctx))
    {
      husk_debug ("init: clone sharing our memory until it execs");
      return shared_vm_clone (ctx, flags, pid, err);
    }
  husk_debug ("init: fork-like clone");
  *pid = raw_clone ((unsigned long)flags);
  if (*pid < 0)
    return husk_error (err, errno, "clone the container init");
  if (*pid == 0)
    husk_init_main (ctx);
  return 0;
}
