/* Shared by the lifecycle files, not part of the library interface. */
#ifndef HUSK_CONTAINER_INTERNAL_H
#define HUSK_CONTAINER_INTERNAL_H

#include <stdbool.h>
#include <sys/types.h>

#include "util/error.h"

/* The OCI runtime-spec version husk implements and reports. */
#define HUSK_OCI_VERSION "1.2.0"

/* starttime of a pid from /proc/PID/stat (0 if gone); *state gets the
 * state letter when not NULL. */
unsigned long long husk_pid_start_time (pid_t pid, char *state);
/* Take an exclusive flock on <root>/<id> (a directory, or with flat the
 * state file, opened read-write); returns the fd. */
int husk_container_lock (const char *dir, bool flat, husk_error_t *err);

#include "container/container.h"
#include "oci/config.h"
/* Run the hooks of one kind from the config saved at create time. */
int husk_container_run_hooks (struct husk_container *c, enum husk_hook_kind kind, husk_error_t *err);
/* The config saved at create time (state.json's "config"). */
int husk_container_config (struct husk_container *c, struct husk_config **cfg, husk_error_t *err);
#endif
