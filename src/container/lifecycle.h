/* The container lifecycle: create, start, run, kill, delete. */
#ifndef HUSK_CONTAINER_LIFECYCLE_H
#define HUSK_CONTAINER_LIFECYCLE_H

#include <stdbool.h>
#include <sys/types.h>

#include "container/container.h"
#include "linux/seal_check.h"
#include "oci/config.h"
#include "util/error.h"

struct husk_create_opts
{
  const char *root;
  const char *id;
  const char *bundle;         /* default "." */
  const char *pid_file;       /* may be NULL */
  const char *console_socket; /* may be NULL */
  int preserve_fds;
  bool no_pivot;
  bool no_new_keyring;
  /* `run`: no fifos; START goes over the sync socket as soon as the
   * init is ready, and the state is written while it execs. */
  bool start_now;
  bool start_early; /* with start_now: the init needs no START at all */
  /* Read and parsed by the caller (cli/create_prep.c), who keeps and
   * frees both. */
  struct husk_config *cfg;
  const char *config_text;
  size_t config_len;
  /* Found by the seal decision (cli/create_prep.c), so create does not
   * look them up again; NULL / false when it did not get that far. */
  const char *rootfs_real;
  bool self_known;
  struct husk_file_id self;
};

/* `create`: returns once the init is ready and blocked until `start`.
 * On failure nothing is left: no state dir, cgroup, mount or process.
 * *init_pid and *release_fd may be NULL; with o->start_now, *release_fd
 * is the sync socket for husk_container_release_now. */
int husk_container_create (const struct husk_create_opts *o, pid_t *init_pid, int *release_fd,
                           husk_error_t *err);
/* `start`: release a created container, then run poststart hooks. */
int husk_container_start (const char *root, const char *id, husk_error_t *err);
/* Release the init through an already open fifo fd (used by `run`). */
int husk_container_release (struct husk_container *c, int fifo_fd, husk_error_t *err);
/* `run` (start_now): wait until the released init has exec'd, then run
 * the poststart hooks if there are any. */
int husk_container_send_start (int sync_fd, husk_error_t *err);
int husk_container_wait_started (const char *root, const char *id, int sync_fd, bool poststart,
                                 husk_error_t *err);
int husk_container_kill (const char *root, const char *id, int sig, bool all, husk_error_t *err);
int husk_container_delete (const char *root, const char *id, bool force, husk_error_t *err);
/* Remove a stopped container's resources: cgroup, poststop hooks, state. */
int husk_container_destroy (struct husk_container *c, husk_error_t *err);
/* Parse "KILL", "SIGKILL", "9"; -1 if unknown. */
int husk_signal_parse (const char *s);

#endif
