/* See shared_clone.h. */
#include "linux/shared_clone.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/common_interface_defs.h>
#include <sanitizer/lsan_interface.h>
#endif

/* Reserved, not committed: only the pages the child touches cost. */
#define STACK_SIZE (8u << 20)
#define STACK_GUARD (64u << 10)

struct trampoline
{
  int (*fn) (void *);
  void *arg;
  /* ASan keeps one idea of "the current stack" for our (shared) thread:
   * the child switches it to its own and we switch it back. */
  const void *parent_stack;
  size_t parent_stack_size;
};

static int
child_entry (void *p)
{
  struct trampoline *t = p;
#ifdef __SANITIZE_ADDRESS__
  __sanitizer_finish_switch_fiber (NULL, &t->parent_stack, &t->parent_stack_size);
  /* What the child allocates stays behind in our heap, unreferenced once
   * it execs: not a leak of ours. */
  __lsan_disable ();
#endif
  return t->fn (t->arg);
}

int
husk_clone_shared (int (*fn) (void *), void *arg, unsigned long flags, pid_t *pid, husk_error_t *err)
{
  struct trampoline t = { .fn = fn, .arg = arg };
  size_t len = STACK_SIZE + STACK_GUARD;
  char *stack = mmap (NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
  if (stack == MAP_FAILED)
    return husk_error (err, errno, "map a stack for the child");
  if (mprotect (stack + STACK_GUARD, STACK_SIZE, PROT_READ | PROT_WRITE) < 0)
    {
      husk_error (err, errno, "map a stack for the child");
      munmap (stack, len);
      return -1;
    }
#ifdef __SANITIZE_ADDRESS__
  void *fake = NULL;
  __sanitizer_start_switch_fiber (&fake, stack + STACK_GUARD, STACK_SIZE);
#endif
  *pid = clone (child_entry, stack + len, (int)(flags | CLONE_VM | CLONE_VFORK | SIGCHLD), &t);
  if (*pid < 0)
    husk_error (err, errno, "clone");
#ifdef __SANITIZE_ADDRESS__
  if (*pid < 0) /* no child ran: switch as it would have */
    __sanitizer_finish_switch_fiber (NULL, &t.parent_stack, &t.parent_stack_size);
  __sanitizer_start_switch_fiber (NULL, t.parent_stack, t.parent_stack_size);
  __sanitizer_finish_switch_fiber (fake, NULL, NULL);
  if (*pid >= 0)
    __lsan_enable ();
#endif
  /* Back here only once the child has exec'd or exited: no one uses the
   * stack any more. */
  munmap (stack, len);
  return *pid < 0 ? -1 : 0;
}
