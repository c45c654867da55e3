/* uid/gid maps of a new user namespace, written by the parent: a process
 * inside a fresh user namespace has no right to write its own maps beyond
 * a single self-mapping. */
#ifndef HUSK_LINUX_USERNS_H
#define HUSK_LINUX_USERNS_H

#include <sys/types.h>

#include "oci/config.h"
#include "util/error.h"

int husk_userns_write_maps (pid_t pid, const struct husk_config *cfg, husk_error_t *err);

#endif
