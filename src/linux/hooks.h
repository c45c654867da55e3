/* OCI hooks: each runs with the container state JSON on stdin. */
#ifndef HUSK_LINUX_HOOKS_H
#define HUSK_LINUX_HOOKS_H

#include "oci/config.h"
#include "util/error.h"

const char *husk_hook_kind_name (enum husk_hook_kind k);
/* Run every hook of one kind in order; stop at the first failure. */
int husk_hooks_run (const struct husk_config *cfg, enum husk_hook_kind kind, const char *state_json,
                    husk_error_t *err);

#endif
