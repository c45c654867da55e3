/* Writes through procfs (oom_score_adj, sysctl, LSM attr) go through
 * handles verified to be on a real, un-overmounted procfs
 * (CVE-2025-52881 family): a container could otherwise bind something
 * else over /proc/sys/... and redirect the write. */
#ifndef HUSK_LINUX_PROCFS_H
#define HUSK_LINUX_PROCFS_H

#include <stdbool.h>

#include "util/error.h"

/* Open `path` relative to the proc root (e.g. "sys/net/ipv4/ip_forward",
 * "self/oom_score_adj", "thread-self/attr/exec"), checking that every
 * component is on procfs and nothing is mounted over it. */
int husk_procfs_open (const char *path, int flags, husk_error_t *err);
/* Open + write the whole value. */
int husk_procfs_write (const char *path, const char *value, husk_error_t *err);
/* Tests: skip the private fsopen("proc") instance and use the verified
 * /proc mount only (the path taken when the kernel refuses a new procfs). */
void husk_procfs_force_fallback (bool on);

#endif
