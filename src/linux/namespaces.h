/* Namespaces: validate and join the ones given by path, compute the flags
 * for the new ones. */
#ifndef HUSK_LINUX_NAMESPACES_H
#define HUSK_LINUX_NAMESPACES_H

#include <sys/types.h>

#include "oci/config.h"
#include "util/error.h"

/* Open every linux.namespaces[].path and check it is a namespace of the
 * listed type. fds[t] = -1 for types not joined. On error nothing is left
 * open. */
int husk_ns_open_paths (const struct husk_config *cfg, int fds[HUSK_NS_COUNT], husk_error_t *err);
void husk_ns_close (int fds[HUSK_NS_COUNT]);
/* setns() into every open fd. The user namespace goes first: the other
 * namespaces of a container we join are owned by it, and joining it first
 * gives us the capabilities there. The mount namespace goes last since it
 * changes our root and cwd. */
int husk_ns_join (int fds[HUSK_NS_COUNT], husk_error_t *err);
/* CLONE_NEW* flags for namespaces to create, without time and cgroup:
 * those are unshared at a later step (time offsets must be written before
 * any process enters the namespace; cgroup after joining the cgroup). */
int husk_ns_clone_flags (const struct husk_config *cfg);
/* Whether the spec asks for a new namespace of type t. */
static inline int
husk_ns_is_new (const struct husk_config *cfg, enum husk_ns_type t)
{
  return cfg->ns[t].present && cfg->ns[t].path == NULL;
}
/* unshare(CLONE_NEWTIME) and write linux.timeOffsets; children created
 * afterwards live in the new time namespace. */
int husk_ns_unshare_time (const struct husk_config *cfg, husk_error_t *err);

#endif
