/* The cgroupfs driver: one interface over v1, v2 and hybrid layouts. */
#ifndef HUSK_LINUX_CGROUP_H
#define HUSK_LINUX_CGROUP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <json-c/json.h>

#include "oci/config.h"
#include "util/error.h"

struct husk_cgroup;

/* Create the container's cgroup(s) from linux.cgroupsPath (absolute,
 * relative, or absent: a default under a "husk" parent using `id`) and
 * apply linux.resources. Nothing is left behind on failure. */
int husk_cgroup_create (const struct husk_config *cfg, const char *id, struct husk_cgroup **out,
                        husk_error_t *err);
/* Move pid into every hierarchy of the cgroup. */
int husk_cgroup_enter (struct husk_cgroup *cg, pid_t pid, husk_error_t *err);
/* The container shares an existing v1 cpuset cgroup (none of its own yet,
 * see docs/cgroups.md): its /sys/fs/cgroup must not show that one. */
bool husk_cgroup_cpuset_shared (const struct husk_cgroup *cg);
/* Persist/restore the resolved paths (stored in the state file). */
json_object *husk_cgroup_to_json (const struct husk_cgroup *cg);
int husk_cgroup_from_json (json_object *o, struct husk_cgroup **out, husk_error_t *err);
/* Kill every process inside (cgroup.kill on v2, freeze+kill+thaw on v1),
 * then remove the directories. Idempotent. */
int husk_cgroup_destroy (struct husk_cgroup *cg, husk_error_t *err);
int husk_cgroup_kill_all (struct husk_cgroup *cg, int sig, husk_error_t *err);
int husk_cgroup_freeze (struct husk_cgroup *cg, bool frozen, husk_error_t *err);
int husk_cgroup_is_frozen (struct husk_cgroup *cg, bool *frozen, husk_error_t *err);
int husk_cgroup_pids (struct husk_cgroup *cg, pid_t **pids, size_t *n, husk_error_t *err);
int husk_cgroup_update (struct husk_cgroup *cg, json_object *resources, husk_error_t *err);
/* runc's events "stats" object. */
int husk_cgroup_stats (struct husk_cgroup *cg, json_object **out, husk_error_t *err);
void husk_cgroup_free (struct husk_cgroup *cg);

/* Extensions (owned by the cgroups module). */
/* Pure v2: an O_PATH fd of the cgroup for clone3(CLONE_INTO_CGROUP);
 * *fd = -1 on other layouts (then use husk_cgroup_enter). */
int husk_cgroup_v2_fd (struct husk_cgroup *cg, int *fd, husk_error_t *err);
/* OOM kills so far in the container's memory cgroup. */
int husk_cgroup_oom_count (struct husk_cgroup *cg, uint64_t *count, husk_error_t *err);
/* An fd that becomes readable on OOM activity (v1: eventfd registered on
 * memory.oom_control; v2: inotify on memory.events). When it fires, drain
 * it with husk_cgroup_oom_ack, which returns the v1 notification count;
 * on v2 compare husk_cgroup_oom_count with the previous value. */
int husk_cgroup_oom_watch (struct husk_cgroup *cg, int *fd, husk_error_t *err);
uint64_t husk_cgroup_oom_ack (int fd); /* v1: notifications; v2: 0 */
/* Fail with a clear message when --systemd-cgroup is asked for: the
 * systemd driver needs a running systemd (room for one later). */
int husk_cgroup_check_driver (bool systemd, husk_error_t *err);
/* For mounting /sys/fs/cgroup inside the container without a cgroup
 * namespace (as runc: each hierarchy's container directory bound at
 * /sys/fs/cgroup/<name>): the directory, the length of its host mount
 * point prefix (dir[0..mount_len), e.g. "/sys/fs/cgroup/memory" or
 * "/sys/fs/cgroup" on pure v2), the controllers ("cpu", "name=systemd",
 * "" for v2). Returns how many entries were filled. */
struct husk_cgroup_mount
{
  const char *dir;
  size_t mount_len;
  const char *controllers;
  bool v2;
};
size_t husk_cgroup_mounts (const struct husk_cgroup *cg, struct husk_cgroup_mount *out, size_t max);
/* "v1", "v2" or "hybrid" for the host (features, debugging). */
const char *husk_cgroup_host_layout (void);

#endif
