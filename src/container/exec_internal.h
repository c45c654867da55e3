/* Shared by exec.c (the husk side) and exec_child.c (the processes that
 * enter the container). */
#ifndef HUSK_CONTAINER_EXEC_INTERNAL_H
#define HUSK_CONTAINER_EXEC_INTERNAL_H

#include <stdbool.h>
#include <sys/ioctl.h>

#include "container/exec.h"
#include "oci/config.h"

struct husk_seccomp;

/* Built by husk before the clone; each child works on its own copy. */
struct husk_exec_ctx
{
  const struct husk_exec_opts *o;
  struct husk_process *p;
  int sync_fd;               /* the children's end of the SEQPACKET pair */
  int parent_fd;             /* husk's end (closed in the children) */
  int lock_fd;               /* the container lock (closed in the children) */
  int ns_fds[HUSK_NS_COUNT]; /* namespaces to join, -1 where we share it */
  int root_fd;               /* O_PATH of the init's root directory */
  int console_fd;            /* where the pty master goes, -1 without terminal */
  int console_peer;          /* husk's end of an internal console pair, or -1 */
  struct winsize ws;         /* initial terminal size (0x0: leave it) */
  bool in_userns;            /* the container has its own user namespace */
  bool no_new_keyring;       /* the container was created with --no-new-keyring */
  struct husk_seccomp *seccomp;
  char *state_json;
  bool *preserved;     /* [i]: fd 3+i was open when exec started */
  json_object *cgroup; /* the container's (state), or NULL */
  bool join_cgroup;    /* the intermediate joins it (not when paused) */
};

/* Runs in a child of husk that shares husk's memory (linux/shared_clone.h;
 * arg is its own copy of the ctx): joins the cgroup and the namespaces,
 * clones the process that execs (a child of husk through CLONE_PARENT),
 * reports its pid, exits. */
__attribute__ ((noreturn)) int husk_exec_intermediate (void *arg);

#endif
