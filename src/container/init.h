/* The container's init: everything it does between clone() and exec. */
#ifndef HUSK_CONTAINER_INIT_H
#define HUSK_CONTAINER_INIT_H

#include <stdbool.h>
#include <sys/types.h>

#include "container/lifecycle.h"
#include "linux/seal_check.h"
#include "oci/config.h"

struct husk_seccomp;

/* Built by the parent before clone(); the init sees it through the copied
 * address space, so nothing needs serializing. */
struct husk_init_ctx
{
  const struct husk_create_opts *opts;
  struct husk_config *cfg;
  char *rootfs;       /* absolute host path */
  char *bundle;       /* absolute */
  pid_t host_pid;     /* our pid as the runtime sees it (for hooks' state) */
  int sync_fd;        /* the init's end of the socketpair */
  int parent_sync_fd; /* the parent's end (closed in the child) */
  int fifo_fd;        /* exec fifo, O_RDWR: the init blocks reading it */
  int start_fd;       /* start fifo, O_RDWR: errors after `start` go here */
  int console_fd;     /* connected --console-socket or -1 */
  int lock_fd;        /* the parent's lock: must not live on in the init */
  int ns_fds[HUSK_NS_COUNT];
  bool new_userns;
  int listen_fds; /* LISTEN_FDS of our caller (socket activation) */
  struct husk_seccomp *seccomp;
  bool sealed;              /* we run from a sealed copy of husk */
  bool hide_cpuset;         /* no cpuset cgroup of our own (rootfs.h) */
  struct husk_cgroup *cg;   /* made by the parent before the clone, or NULL */
  struct husk_file_id self; /* else: the husk binary, never to be exec'd */
};

/* The state JSON hooks get on stdin (malloc'd). */
char *husk_init_state_json (const struct husk_init_ctx *ctx, const char *status);

/* Clone the init (ctx->parent_sync_fd is our end of the socket). With
 * nothing for the parent to do before the init execs (`run` without user
 * namespace or parent-side hooks), we return only once it has exec'd or
 * exited (see spawn.c); otherwise at once. */
int husk_spawn_init (struct husk_init_ctx *ctx, pid_t *pid, husk_error_t *err);

/* Never returns: execs the user's process or exits. Errors before READY
 * go to the parent as one SYNC_ERROR message naming the step. */
__attribute__ ((noreturn)) void husk_init_main (struct husk_init_ctx *ctx);

#endif
