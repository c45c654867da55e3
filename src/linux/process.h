/* Process attributes the init sets before exec: rlimits, oom_score_adj,
 * sysctl, hostname, and the lookup of the program to run. */
#ifndef HUSK_LINUX_PROCESS_H
#define HUSK_LINUX_PROCESS_H

#include "oci/config.h"
#include "util/error.h"

int husk_set_rlimits (const struct husk_process *p, husk_error_t *err);
int husk_set_oom_score_adj (const struct husk_process *p, husk_error_t *err);
int husk_set_sysctls (const struct husk_config *cfg, husk_error_t *err);
int husk_set_hostname (const struct husk_config *cfg, husk_error_t *err);
/* Resolve args[0] against the container's PATH (from process.env) the way
 * execvp would; *out is malloc'd. Must run after pivot_root and chdir. */
int husk_find_executable (const struct husk_process *p, char **out, husk_error_t *err);

#endif
