/* AppArmor / SELinux labels, written through /proc/thread-self/attr. */
#ifndef HUSK_LINUX_LSM_H
#define HUSK_LINUX_LSM_H

#include <stdbool.h>

#include "oci/config.h"
#include "util/error.h"

/* Before start: a clear error when a profile/label is asked for and the
 * machine has no such LSM enabled. */
int husk_lsm_check (const struct husk_config *cfg, const struct husk_process *p, husk_error_t *err);
/* Right before exec: set the exec label. */
int husk_lsm_apply (const struct husk_process *p, husk_error_t *err);
/* Whether the LSM ("apparmor", "selinux") is active on this host
 * (/sys/kernel/security/lsm, else the LSM's own sysfs files). */
bool husk_lsm_enabled (const char *name);

#endif
