/* Typed messages between the runtime (parent) and the container's init
 * over a SOCK_SEQPACKET socketpair: one message per packet, so a message
 * and its payload arrive whole or not at all. */
#ifndef HUSK_CONTAINER_SYNC_H
#define HUSK_CONTAINER_SYNC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/error.h"

enum husk_sync_type
{
  HUSK_SYNC_INIT_PID = 1, /* intermediate -> parent: pid of the init (host view) */
  HUSK_SYNC_SETUP_DONE,   /* parent -> init (new user namespace): maps written, cgroup joined */
  HUSK_SYNC_HOOKS,        /* init -> parent: mounts ready, run prestart/createRuntime */
  HUSK_SYNC_HOOKS_DONE,   /* parent -> init */
  HUSK_SYNC_READY,        /* init -> parent: waiting for `start` */
  HUSK_SYNC_ERROR,        /* init -> parent: payload is the message */
  HUSK_SYNC_START,        /* parent -> init (`run` only): go on to execve */
};

struct husk_sync_msg
{
  enum husk_sync_type type;
  int32_t value;   /* pid for INIT_PID */
  char text[4000]; /* NUL-terminated message for ERROR */
};

int husk_sync_send (int fd, enum husk_sync_type type, int32_t value, const char *text, husk_error_t *err);
/* Receive one message; an ERROR message from the peer becomes *err and
 * -1; EOF becomes "init exited unexpectedly". */
int husk_sync_recv (int fd, struct husk_sync_msg *msg, husk_error_t *err);
/* Receive and require `want`. */
int husk_sync_expect (int fd, enum husk_sync_type want, int32_t *value, husk_error_t *err);
const char *husk_sync_name (enum husk_sync_type t);
/* After START: 0 on EOF (the init's execve closed its CLOEXEC end), -1
 * with the init's ERROR message. */
int husk_sync_wait_exec (int fd, husk_error_t *err);
/* Without blocking: -1 with *err if an ERROR message is waiting. */
int husk_sync_pending_error (int fd, husk_error_t *err);

#endif
