/* Bridge between a container's state and its cgroup. */
#ifndef HUSK_LINUX_CONTAINER_CG_H
#define HUSK_LINUX_CONTAINER_CG_H

#include "container/container.h"
#include "linux/cgroups/cgroup.h"

/* The container's cgroup from state.json ("cgroup"). */
int husk_container_cgroup (struct husk_container *c, struct husk_cgroup **cg, husk_error_t *err);
/* Same, failing with "container `x` is not running" when it stopped. */
int husk_container_cgroup_running (struct husk_container *c, struct husk_cgroup **cg, husk_error_t *err);

#endif
