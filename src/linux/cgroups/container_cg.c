/* The cgroup of a container loaded from its state (for update, pause,
 * resume, ps, events). */
#include "linux/cgroups/container_cg.h"

#include <errno.h>

int
husk_container_cgroup (struct husk_container *c, struct husk_cgroup **cg, husk_error_t *err)
{
  *cg = NULL;
  if (c->cgroup == NULL)
    return husk_error (err, 0, "container `%s` has no cgroup", c->id);
  if (husk_cgroup_from_json (c->cgroup, cg, err) < 0 || *cg == NULL)
    return husk_error_prefix (err, "container `%s`", c->id);
  return 0;
}

int
husk_container_cgroup_running (struct husk_container *c, struct husk_cgroup **cg, husk_error_t *err)
{
  enum husk_status s = husk_container_status (c);
  if (s == HUSK_STATUS_STOPPED)
    return husk_error (err, 0, "container `%s` is not running", c->id);
  return husk_container_cgroup (c, cg, err);
}
