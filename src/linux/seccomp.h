/* linux.seccomp through libseccomp. Compiled before `start` so a bad
 * profile fails `create`; loaded as late as possible, right before exec.
 *
 * Order in the init (what husk_process_finalize below does; the lead's
 * code can call it and then execve):
 *   husk_lsm_apply
 *   noNewPrivileges true:  husk_process_set_identity (sets NNP last),
 *                          husk_seccomp_load, execve
 *   noNewPrivileges false: the filter needs CAP_SYS_ADMIN, so it is loaded
 *                          inside husk_process_set_identity_hook after the
 *                          uid change but before the final capset; after it
 *                          only capset, prctl(KEEPCAPS/AMBIENT) and execve
 *                          run (a profile must allow those, as with runc).
 * Close fds (close_range), chdir and everything else before that: after
 * the load, husk must make no syscall the profile may block (getcwd,
 * close_range...). husk_seccomp_load itself only calls seccomp(2) and, for
 * SCMP_ACT_NOTIFY, sendmsg + close.
 *
 * SCMP_ACT_NOTIFY: husk_seccomp_prepare connects to listenerPath (so call
 * it while the host filesystem is visible, before pivot_root; the
 * connected socket is CLOEXEC and travels into the init with the struct
 * across fork). husk_seccomp_load sends the notify fd over SCM_RIGHTS
 * with the OCI containerProcessState ({ociVersion, fds:["seccompFd"],
 * pid, metadata, state}) as the payload. */
/* With -Isrc this file shadows the kernel's <linux/seccomp.h>, which
 * libseccomp's <seccomp.h> includes: pull the kernel header in too. */
#include_next <linux/seccomp.h>

#ifndef HUSK_LINUX_SECCOMP_H
#define HUSK_LINUX_SECCOMP_H

#include <stdbool.h>

#include <json-c/json.h>

#include "oci/config.h"
#include "util/error.h"

struct husk_seccomp;

/* spec: the linux.seccomp object (NULL: *out = NULL, nothing to do). */
int husk_seccomp_prepare (json_object *spec, struct husk_seccomp **out, husk_error_t *err);
/* Load the filter. With SCMP_ACT_NOTIFY the listener fd is sent to
 * listenerPath together with state_json (the container state: the OCI
 * state object; its "pid" is the pid the listener is told; NULL: {} and
 * getpid()). s NULL: nothing to do. */
int husk_seccomp_load (struct husk_seccomp *s, const char *state_json, husk_error_t *err);
void husk_seccomp_free (struct husk_seccomp *s);

/* The tail of the init before execve: LSM exec label, identity (groups,
 * uid/gid, capabilities, umask, NNP) and the seccomp filter (s may be
 * NULL) in the order noNewPrivileges requires (see above). */
int husk_process_finalize (const struct husk_process *p, bool in_userns, struct husk_seccomp *s,
                           const char *state_json, husk_error_t *err);

#endif
