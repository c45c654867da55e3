/* How the parent makes the container's init: a fork-like clone, through
 * an intermediate process, or, for `run`, sharing our memory until the
 * init execs (see husk_spawn_init in container/init.h). */
#include "container/init.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "container/sync.h"
#include "linux/namespaces.h"
#include "util/log.h"

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/common_interface_defs.h>
#include <sanitizer/lsan_interface.h>
#endif

/* The init's stack when it shares our memory. Reserved, not committed:
 * only the pages it touches cost anything. */
#define INIT_STACK_SIZE (8u << 20)
#define INIT_STACK_GUARD (64u << 10)

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

/* What the init gets when it shares our memory: its own copy of ctx, and
 * for ASan our stack's bounds, to switch back to when we resume. */
struct shared_start
{
  struct husk_init_ctx ctx;
  const void *parent_stack;
  size_t parent_stack_size;
};

static int
shared_init_main (void *arg)
{
  struct shared_start *s = arg;
#ifdef __SANITIZE_ADDRESS__
  /* ASan keeps one idea of "the current stack" for our (shared) thread. */
  __sanitizer_finish_switch_fiber (NULL, &s->parent_stack, &s->parent_stack_size);
  /* What we allocate stays behind in the parent's heap, unreferenced
   * once we exec: not a leak of the parent's. */
  __lsan_disable ();
#endif
  husk_init_main (&s->ctx);
}

/* CLONE_VM | CLONE_VFORK, as posix_spawn does: the init runs in our
 * memory, on a stack of its own, and we are suspended by the kernel until
 * its execve has replaced that memory or it has exited. A fork-like clone
 * copies our page tables and then takes a copy-on-write fault for every
 * page either side writes; on this project's VMs that was ~1.5 ms of a
 * ~10 ms `run`.
 *
 * It is safe because the two never run at once: whatever the init leaves
 * in our heap (its allocations, cfg->process->env) is consistent when we
 * resume, and it gets its own copy of ctx. The init's user memory is
 * charged to our cgroup until it execs (the mm's owner is us), not to the
 * container's. If the init were killed by a signal in the middle of malloc
 * our heap could be left inconsistent; nothing in the container exists to
 * signal it before it execs. */
static int
shared_vm_clone (struct husk_init_ctx *ctx, int flags, pid_t *pid, husk_error_t *err)
{
  struct shared_start start = { .ctx = *ctx };
  size_t len = INIT_STACK_SIZE + INIT_STACK_GUARD;
  char *stack = mmap (NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
  if (stack == MAP_FAILED)
    return husk_error (err, errno, "map the init's stack");
  if (mprotect (stack + INIT_STACK_GUARD, INIT_STACK_SIZE, PROT_READ | PROT_WRITE) < 0)
    {
      husk_error (err, errno, "map the init's stack");
      munmap (stack, len);
      return -1;
    }
#ifdef __SANITIZE_ADDRESS__
  void *fake = NULL;
  __sanitizer_start_switch_fiber (&fake, stack + INIT_STACK_GUARD, INIT_STACK_SIZE);
#endif
  *pid = clone (shared_init_main, stack + len, flags | CLONE_VM | CLONE_VFORK | SIGCHLD, &start);
#ifdef __SANITIZE_ADDRESS__
  if (*pid < 0) /* no init ran: switch as it would have */
    __sanitizer_finish_switch_fiber (NULL, &start.parent_stack, &start.parent_stack_size);
  __sanitizer_start_switch_fiber (NULL, start.parent_stack, start.parent_stack_size);
  __sanitizer_finish_switch_fiber (fake, NULL, NULL);
  if (*pid >= 0)
    __lsan_enable ();
#endif
  if (*pid < 0)
    husk_error (err, errno, "clone the container init");
  /* Back here only once the init has exec'd or exited: no one uses the
   * stack any more. */
  munmap (stack, len);
  return *pid < 0 ? -1 : 0;
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
