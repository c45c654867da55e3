/* Identity and capabilities of the container's process. */
#ifndef HUSK_LINUX_CAPS_H
#define HUSK_LINUX_CAPS_H

#include "oci/config.h"
#include "util/error.h"

/* Before `start`: fail early (with the names) when the spec asks for
 * capabilities this process cannot grant (not in its bounding set). */
int husk_caps_check (const struct husk_caps *caps, husk_error_t *err);
/* Right before exec: bounding set, setgroups (skipped when the user
 * namespace denies it and no additional gids are asked for), gid, uid with
 * PR_SET_KEEPCAPS, then effective/permitted/inheritable and ambient.
 * process->caps.present false means: leave capabilities as they are. */
int husk_process_set_identity (const struct husk_process *p, bool in_userns, husk_error_t *err);

#endif
