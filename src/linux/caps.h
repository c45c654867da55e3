/* Identity and capabilities of the container's process. */
#ifndef HUSK_LINUX_CAPS_H
#define HUSK_LINUX_CAPS_H

#include "oci/config.h"
#include "util/error.h"

/* Before `start`: fail early (with the names) when the spec asks for
 * capabilities this process cannot grant (not in its bounding set). */
int husk_caps_check (const struct husk_caps *caps, husk_error_t *err);
/* The same; with new_userns the container gets a user namespace of its own
 * (whose bounding set is full), so only unknown capabilities are reported. */
int husk_caps_check_for (const struct husk_caps *caps, bool new_userns, husk_error_t *err);
/* Right before exec: bounding set, setgroups (skipped when the user
 * namespace denies it and no additional gids are asked for), gid, uid with
 * PR_SET_KEEPCAPS, then effective/permitted/inheritable and ambient.
 * process->caps.present false means: leave capabilities as they are. */
int husk_process_set_identity (const struct husk_process *p, bool in_userns, husk_error_t *err);

/* Order of the steps: umask; [hook, when process->caps.present is false];
 * drop bounding; PR_SET_KEEPCAPS 1; setgroups; setresgid; setresuid;
 * [hook: run with every permitted capability effective, CAP_SYS_ADMIN
 * included, after the uid change]; capset eff/perm/inh; PR_SET_KEEPCAPS 0;
 * ambient; PR_SET_NO_NEW_PRIVS when asked.  The hook is the seccomp load
 * when noNewPrivileges is false (installing a filter then needs
 * CAP_SYS_ADMIN); see husk_seccomp_finalize in seccomp.h. */
typedef int (*husk_identity_hook) (void *data, husk_error_t *err);
int husk_process_set_identity_hook (const struct husk_process *p, bool in_userns, husk_identity_hook hook,
                                    void *data, husk_error_t *err);

#endif
