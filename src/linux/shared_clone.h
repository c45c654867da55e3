/* A child that runs in our memory until it execs (CLONE_VM | CLONE_VFORK,
 * as posix_spawn does). The kernel suspends us until the child's execve has
 * replaced that memory or the child has exited, so the two never run at
 * once: what the child writes or allocates is consistent when we resume.
 * It saves the page-table copy of a fork and a copy-on-write fault for
 * every page either side writes (~1.5 ms of a `run` on this project's VMs).
 *
 * The child must not wait for us (we are suspended), must leave by execve
 * or _exit, and must not change what we rely on after it: it gets its own
 * stack, and callers give it its own copy of their context. Until it execs,
 * its user memory is charged to our memory cgroup (the mm's owner). */
#ifndef HUSK_LINUX_SHARED_CLONE_H
#define HUSK_LINUX_SHARED_CLONE_H

#include <sys/types.h>

#include "util/error.h"

/* Runs fn(arg) in the child, with `flags` (namespaces, CLONE_PARENT) added
 * to CLONE_VM | CLONE_VFORK | SIGCHLD; returns once the child has exec'd
 * or exited, *pid set. */
int husk_clone_shared (int (*fn) (void *), void *arg, unsigned long flags, pid_t *pid, husk_error_t *err);

#endif
